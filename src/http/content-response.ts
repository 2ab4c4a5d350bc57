/**
 * How every route that answers with an item's bytes answers: the session's
 * content route (bytes proxied from Google, or the stored copy) and the apps
 * API's. The bytes are the picker's, whatever they claim to be, and they are
 * served on the gateway's own origin, next to its pages and scripts: an item
 * Google reports as text/html or image/svg+xml must never render there.
 *
 * So one function writes the head of every such answer (200, 206, 416, HEAD):
 * only pictures (never SVG, or anything XML) and videos are served inline,
 * with their type; anything else is application/octet-stream as an attachment
 * named with the item's cleaned name; and every answer carries
 * `X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox`
 * (no script, no form, an origin of its own), whatever the browser makes of it.
 */
import { pipeline } from 'node:stream/promises';
import { create as contentDisposition } from 'content-disposition';
import type { Request, Response } from 'express';
import type { ImportedItem, Imports } from '../domain/imports.ts';
import { notFound } from '../errors.ts';

/** `image/…` or `video/…`, a plain subtype (RFC 9110 token characters). */
const PICTURE_OR_VIDEO = /^(?:image|video)\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
/** SVG, and any XML type, is a document that can run script, not a picture. */
const DOCUMENT_SUBTYPE = /svg|xml/;

/** The type to serve `contentType` inline with (its essence, lower case), or undefined when it must not render. */
export function inlineType(contentType: string | null | undefined): string | undefined {
  const essence = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return PICTURE_OR_VIDEO.test(essence) && !DOCUMENT_SUBTYPE.test(essence) ? essence : undefined;
}

/**
 * `filename` for the Content-Disposition header (RFC 6266): `filename` in plain ASCII (anything else, and `%`, which
 * some browsers decode, as `_`) and, when that is not the name itself, `filename*` with the name in UTF-8.
 */
export function attachmentHeader(filename: string): string {
  const ascii = filename.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]|%/g, '_');
  return contentDisposition(filename, { type: 'attachment', fallback: ascii });
}

export interface ContentHead {
  /** The type the bytes come with: the stored copy's, or Google's answer's. */
  contentType: string | null | undefined;
  /** The item's cleaned name (file-names.ts): the name of a download. */
  filename: string;
  /** `download=1`: the browser saves it whatever it is. */
  download: boolean;
}

/** Sets the headers that decide how a browser treats an item's bytes. Every content answer goes through here. */
export function setContentHead(res: Response, { contentType, filename, download }: ContentHead): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', 'sandbox');
  const inline = inlineType(contentType);
  res.setHeader('Content-Type', inline ?? 'application/octet-stream');
  if (!inline || download) res.setHeader('Content-Disposition', attachmentHeader(filename));
  else res.removeHeader('Content-Disposition');
}

/** The largest preview the import stored: a thumbnail no bigger than this is served from it. */
const PREVIEW_SIZE = 512;

/** An imported item from the destination: the original (with Range), or its preview for a small thumbnail. */
export async function serveStored(req: Request, res: Response, imports: Imports, item: ImportedItem, query: { w?: number; h?: number; download?: string }) {
  const sized = query.w !== undefined || query.h !== undefined;
  const preview = sized && (query.w ?? 0) <= PREVIEW_SIZE && (query.h ?? 0) <= PREVIEW_SIZE;
  const download = query.download === '1';
  let range: { start: number; end: number } | undefined;
  if (!preview && req.get('range')) {
    const ranges = req.range(item.bytes);
    if (ranges === -1) {
      setContentHead(res, { contentType: item.mimeType, filename: item.filename, download });
      res.status(416).set('Content-Range', `bytes */${item.bytes}`).end();
      return;
    }
    // One range is served; a malformed header or several ranges get the whole object, as HTTP allows.
    if (Array.isArray(ranges) && ranges.length === 1 && ranges.type === 'bytes') range = { start: ranges[0]!.start, end: ranges[0]!.end };
  }
  const content = await imports.read(item, { preview, ...(range ? { range } : {}) });
  if (!content) throw notFound('The imported copy of this item is missing from the destination.');
  res.status(range ? 206 : 200);
  // The type the destination holds; a folder holds none, and then the type the copy was made with.
  setContentHead(res, { contentType: content.contentType ?? (preview ? item.previewMimeType : item.mimeType), filename: item.filename, download });
  res.setHeader('Content-Length', String(content.bytes));
  if (range) res.setHeader('Content-Range', `bytes ${range.start}-${range.start + content.bytes - 1}/${content.size}`);
  if (!preview) res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', 'private, max-age=300');
  res.vary('Range');
  if (req.method === 'HEAD') {
    content.body.destroy();
    res.end();
    return;
  }
  try {
    await pipeline(content.body, res);
  } catch (error) {
    if (!res.destroyed) req.log.warn({ err: error }, 'stored media stream ended early');
  }
}
