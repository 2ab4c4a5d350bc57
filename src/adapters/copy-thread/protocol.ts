/**
 * The messages between the event loop and the copy thread (copy-thread.ts, copy-worker.ts), and errors as they cross:
 * a thread passes plain data, so an AppError travels as its fields and is made again on the other side.
 */
import { AppError } from '../../errors.ts';
import type { MediaOpenOptions } from '../google/media-client.ts';
import type { StoredObject } from '../../domain/ports.ts';
import type { S3DestinationOptions } from '../storage/s3-destination.ts';

/** The destination a write goes to, as the thread makes it again. */
export type DestinationSpec = { kind: 'file'; root: string } | { kind: 's3'; options: S3DestinationOptions };

export interface SentError {
  name: string;
  message: string;
  code?: string;
  app?: { status: number; code: string; detail?: string; messageKey?: string; retryAfterSeconds?: number };
  cause?: SentError;
}

/** From the event loop to the thread. `id` names a download from its open to its end. */
export type Request =
  | { op: 'open'; id: number; url: string; accessToken: string; timeoutMs: number; options: Omit<MediaOpenOptions, 'signal'> }
  | { op: 'read'; id: number }
  | { op: 'destroy'; id: number }
  /** Stops the download (its body breaks off, as when Google's connection drops), or the write it feeds. */
  | { op: 'abort'; id: number; what: 'download' | 'write' }
  | { op: 'put'; id: number; destination: DestinationSpec; key: string; contentType?: string; resumable?: { from?: { upload: string; offset: number } } }
  | { op: 'upload-saved'; id: number; error?: SentError };

/** From the thread to the event loop. */
export type Reply =
  | { op: 'opened'; id: number; status: number; headers: Record<string, string> }
  | { op: 'chunk'; id: number; chunk: Uint8Array }
  | { op: 'end'; id: number }
  | { op: 'progress'; id: number; bytes: number }
  | { op: 'upload'; id: number; upload: string }
  | { op: 'stored'; id: number; stored: StoredObject }
  | { op: 'failed'; id: number; error: SentError };

export function sendError(error: unknown): SentError {
  const { name = 'Error', message = String(error), code, cause } = (error ?? {}) as { name?: string; message?: string; code?: unknown; cause?: unknown };
  return {
    name,
    message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(error instanceof AppError ? {
      app: {
        status: error.status, code: error.code,
        ...(error.detail === undefined ? {} : { detail: error.detail }),
        ...(error.messageKey === undefined ? {} : { messageKey: error.messageKey }),
        ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      },
    } : {}),
    ...(cause === undefined ? {} : { cause: sendError(cause) }),
  };
}

export function receiveError(sent: SentError): Error {
  const cause = sent.cause && receiveError(sent.cause);
  if (sent.app) return new AppError({ ...sent.app, ...(cause ? { cause } : {}) });
  const error = new Error(sent.message, cause ? { cause } : undefined);
  error.name = sent.name;
  if (sent.code) Object.assign(error, { code: sent.code });
  return error;
}
