/**
 * Streams picked media from Google to the client. The bytes are piped, never
 * buffered; Range passes through; the Google request is aborted when the
 * client goes away. The user's bearer token goes only to hosts in
 * MEDIA_HOSTS, over https (plain http only to a loopback emulator).
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { GoogleAccounts } from '../auth/google-account.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { PickedMediaItem } from '../adapters/google/picker-api.ts';
import type { BufferReclaimer } from './buffer-reclaimer.ts';
import type { MediaItems } from './media-items.ts';

export interface ContentQuery {
  w?: number;
  h?: number;
  crop?: boolean;
  download?: boolean;
}

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

const PASSED_HEADERS = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'last-modified', 'etag'] as const;
const RANGE = /^bytes=\d*-\d*$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True when `host` is one of the suffixes or a subdomain of one. */
export function hostAllowed(host: string, suffixes: readonly string[]): boolean {
  const name = host.toLowerCase();
  return suffixes.some((suffix) => name === suffix || name.endsWith(`.${suffix}`));
}

/** Google's URL grammar: photos =d or =wW-hH[-c]; videos =dv, or a still frame when a size is asked for. */
export function mediaParameter(item: PickedMediaItem, query: ContentQuery): string {
  const sized = query.w !== undefined || query.h !== undefined;
  if (!sized) return item.type === 'VIDEO' ? '=dv' : '=d';
  const parts = [query.w !== undefined ? `w${query.w}` : undefined, query.h !== undefined ? `h${query.h}` : undefined].filter(Boolean);
  const crop = query.crop && query.w !== undefined && query.h !== undefined ? '-c' : '';
  return `=${parts.join('-')}${crop}`;
}

const mediaHostRefused = () =>
  new AppError({ status: 502, code: 'MEDIA_HOST_NOT_ALLOWED', detail: 'Google returned a media URL on a host outside MEDIA_HOSTS; it was not fetched.' });

export class MediaProxy {
  readonly #config: Config;
  readonly #accounts: GoogleAccounts;
  readonly #items: MediaItems;
  readonly #reclaimer: BufferReclaimer;

  constructor(config: Config, accounts: GoogleAccounts, items: MediaItems, reclaimer: BufferReclaimer) {
    this.#config = config;
    this.#accounts = accounts;
    this.#items = items;
    this.#reclaimer = reclaimer;
  }

  #checkedUrl(baseUrl: string, parameter: string): URL {
    let url: URL;
    try {
      url = new URL(`${baseUrl}${parameter}`);
    } catch {
      throw mediaHostRefused();
    }
    const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
    if (!secure || !hostAllowed(url.hostname, this.#config.mediaHosts) || url.username || url.password) throw mediaHostRefused();
    return url;
  }

  async stream(req: Request, res: Response, sessionId: string, itemId: string, query: ContentQuery): Promise<void> {
    let item = await this.#items.find(req, sessionId, itemId);
    const parameter = mediaParameter(item, query);
    if (parameter === '=dv') {
      const status = item.mediaFile.mediaFileMetadata?.videoMetadata?.processingStatus;
      if (status !== undefined && status !== 'READY') {
        throw new AppError({ status: 409, code: 'VIDEO_NOT_READY', detail: `Google has not finished processing this video (${status}).` });
      }
    }
    const range = req.get('range');
    const abort = new AbortController();
    res.once('close', () => abort.abort());

    let upstream = await this.#fetch(this.#checkedUrl(item.mediaFile.baseUrl, parameter), await this.#accounts.accessToken(req), range, abort.signal);
    if (upstream.statusCode === 401 || upstream.statusCode === 403) {
      // An expired baseUrl (or token): list the session again once for fresh URLs, and retry once.
      upstream.resume();
      item = await this.#items.find(req, sessionId, itemId, { renew: true });
      const token = upstream.statusCode === 401 ? await this.#accounts.refreshNow(req) : await this.#accounts.accessToken(req);
      upstream = await this.#fetch(this.#checkedUrl(item.mediaFile.baseUrl, parameter), token, range, abort.signal);
    }

    const status = upstream.statusCode ?? 502;
    if (status !== 200 && status !== 206 && status !== 416) {
      upstream.resume();
      throw new AppError({
        status: status === 404 ? 404 : status === 429 ? 429 : 502,
        code: status === 404 ? 'NOT_FOUND' : status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE',
        detail: `Google answered the media download with HTTP ${status}.`,
      });
    }
    res.status(status);
    for (const name of PASSED_HEADERS) {
      const value = upstream.headers[name];
      if (value !== undefined) res.setHeader(name, value);
    }
    res.setHeader('Cache-Control', 'private, max-age=300');
    res.vary('Range');
    if (query.download) res.attachment(item.mediaFile.filename ?? `${item.id}${item.type === 'VIDEO' ? '.mp4' : ''}`);
    try {
      // pipeline destroys both sides when either ends early: a client that goes away aborts the Google download.
      const piped = pipeline(upstream, res);
      this.#reclaimer.follow(upstream);
      await piped;
    } catch (error) {
      // The client went away (or Google cut the stream): both sides are closed by pipeline; nothing to answer.
      if (!abort.signal.aborted) req.log.warn({ err: error }, 'media stream ended early');
    }
  }

  #fetch(url: URL, accessToken: string, range: string | undefined, signal: AbortSignal): Promise<IncomingMessage> {
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(url, {
        method: 'GET',
        agent: agents[url.protocol as 'http:' | 'https:'],
        headers: {
          authorization: `Bearer ${accessToken}`,
          ...(range && RANGE.test(range) ? { range } : {}),
        },
        signal,
      });
      // No answer (or no bytes) for UPSTREAM_TIMEOUT_MS: give up with 504.
      request.setTimeout(this.#config.upstreamTimeoutMs, () => {
        request.destroy(Object.assign(new Error('media download timed out'), { name: 'TimeoutError' }));
      });
      request.once('response', resolve);
      request.on('error', (error) => {
        if (error.name === 'TimeoutError') reject(new AppError({ status: 504, code: 'DEADLINE_EXCEEDED', detail: 'Google did not send the media in time.', cause: error }));
        else if (signal.aborted) reject(error);
        else reject(new AppError({ status: 502, code: 'UNAVAILABLE', detail: 'Google could not be reached for the media download.', cause: error }));
      });
      request.end();
    });
  }
}
