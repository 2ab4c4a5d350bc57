/** Turns IMPORT_DESTINATION (`file:PATH` or `s3://BUCKET[/PREFIX]`) into the Destination it names. */
import { AppError } from '../../errors.ts';
import { FileDestination } from './file-destination.ts';
import { S3Destination } from './s3-destination.ts';

export interface DestinationOptions {
  s3Endpoint?: string;
  s3Region: string;
  /** What a relative `file:` path is relative to; the working directory by default. */
  cwd?: string;
}

/** S3's rules for a bucket name, short of the ones about IP-like names. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function invalid(spec: string, reason: string): AppError {
  return new AppError({
    status: 500,
    code: 'INVALID_DESTINATION',
    detail: `IMPORT_DESTINATION ${JSON.stringify(spec)} ${reason}: use file:PATH or s3://BUCKET[/PREFIX].`,
  });
}

export function createDestination(spec: string, options: DestinationOptions): FileDestination | S3Destination {
  if (spec.startsWith('file:')) {
    const path = spec.slice('file:'.length);
    if (path === '' || path.includes('\0')) throw invalid(spec, 'has no usable path');
    return new FileDestination(path, options.cwd);
  }
  if (spec.startsWith('s3://')) {
    const [bucket = '', ...rest] = spec.slice('s3://'.length).split('/');
    if (!BUCKET.test(bucket)) throw invalid(spec, `names no valid bucket (${JSON.stringify(bucket)})`);
    return new S3Destination({
      bucket,
      prefix: rest.join('/'),
      region: options.s3Region,
      ...(options.s3Endpoint ? { endpoint: options.s3Endpoint } : {}),
    });
  }
  throw invalid(spec, 'has an unknown scheme');
}
