/**
 * Sends a host app's webhook over HTTP, signed per Standard Webhooks by the
 * `standardwebhooks` package: headers webhook-id, webhook-timestamp (this
 * try's time, which the signature covers) and webhook-signature.
 *
 * A receiver is another party's server, so nothing it does may hold the
 * gateway: one deadline covers the whole exchange (connect, answer, body), no
 * redirect is followed (undici's request follows none), at most
 * MAX_REPLY_BYTES of the answer are read before the connection is cut, and
 * each try uses a fresh connection that closes after it, so no idle socket
 * outlives a delivery.
 */
import type { Readable } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import { request } from 'undici';
import type { WebhookMessage, WebhookReply, WebhookSender } from '../../domain/ports.ts';

/** Enough for a receiver's error message; a receiver that sends more is not listened to. */
const MAX_REPLY_BYTES = 4 * 1024;

export interface WebhookSenderOptions {
  /** The longest one try may take, from connecting to the last byte read. */
  timeoutMs: number;
  /** The version of the contract the body follows, sent as API-Version. */
  apiVersion: string;
}

class DeadlinePassed extends Error {
  override name = 'DeadlinePassed';
}

/** The first `limit` bytes of the body; leaving the loop early destroys the stream, which closes the connection. */
async function readAtMost(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) break;
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

function networkFailure(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return 'the receiver closed the connection before answering';
  if (code === 'ECONNREFUSED') return 'the receiver refused the connection';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the receiver\'s host name did not resolve';
  return `network error${typeof code === 'string' ? ` (${code})` : ''}`;
}

export function createWebhookSender({ timeoutMs, apiVersion }: WebhookSenderOptions): WebhookSender {
  return {
    async send(message: WebhookMessage): Promise<WebhookReply> {
      const sentAt = new Date();
      const signature = new Webhook(message.secret).sign(message.id, sentAt, message.payload);
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new DeadlinePassed()), timeoutMs);
      try {
        const response = await request(message.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'photos-picker-gateway',
            'api-version': apiVersion,
            'webhook-id': message.id,
            'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body: message.payload,
          reset: true,
          signal: deadline.signal,
        });
        // The status is the answer; a body cut short (or past the deadline) only shortens the excerpt.
        return { status: response.statusCode, body: await readAtMost(response.body, MAX_REPLY_BYTES).catch(() => '') };
      } catch (error) {
        if (deadline.signal.aborted) return { error: `no answer within ${timeoutMs / 1000} s` };
        return { error: networkFailure(error) };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
