/**
 * The items picked in a session, and their bytes.
 *
 * The gateway lists a session's items from Google in full (pages of 100,
 * following nextPageToken to the end), keeps the list for a while in the shared
 * store, and serves its own pages from it. An item id resolves through this
 * list only, never through a URL from the client. baseUrls live 60 minutes,
 * so the list is renewed after 55.
 *
 * Bytes come from the item's baseUrl with the user's bearer token, which goes
 * only to hosts in MEDIA_HOSTS over https (plain http only to a loopback
 * emulator). An expired baseUrl (401/403) is listed again once and retried.
 */
import type { Readable } from 'node:stream';
import { AppError, badRequest, notFound } from '../errors.ts';
import type { GoogleAccounts } from './accounts.ts';
import { itemsKey, type PickerSessions } from './picker-sessions.ts';
import type { MediaClient, MediaResponse, PickedMediaItem, SharedStore, UserId } from './ports.ts';

export const BASE_URL_FRESH_MS = 55 * 60_000;
const GOOGLE_PAGE_SIZE = 100;
/** Far above Google's 2000-per-session ceiling: a guard against a pageToken that loops. */
const MAX_ITEMS = 10_000;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const RANGE = /^bytes=\d*-\d*$/;

export interface ListedItems {
  items: PickedMediaItem[];
  listedAt: number;
}

export interface MediaItemView {
  id: string;
  type: 'PHOTO' | 'VIDEO' | 'TYPE_UNSPECIFIED';
  createTime: string | null;
  mimeType: string | null;
  filename: string | null;
  width: number | null;
  height: number | null;
  contentUrl: string;
  thumbnailUrl: string;
  /** Videos only: Google's processing state; downloads work once READY. */
  processingStatus?: string;
}

export interface ContentRequest {
  w?: number;
  h?: number;
  crop?: boolean;
  /** Passed on when it is a well-formed single byte range. */
  range?: string;
  /** With a range: answer the whole instead unless the bytes still match this validator (If-Range). */
  ifRange?: string;
  /** HEAD asks Google for the headers only. */
  method?: 'GET' | 'HEAD';
  /** Aborting it stops the download from Google. */
  signal?: AbortSignal;
}

export interface ItemContent extends MediaResponse {
  item: PickedMediaItem;
}

/** A media answer Google refused, mapped to the service's error (the adapter knows Google's statuses). */
export type MediaFailure = (status: number, headers: Record<string, string>) => AppError;

/** The gateway's own URLs of an item's bytes and thumbnail: the same whether Google or the destination serves them. */
export function contentUrls(sessionId: string, itemId: string): Pick<MediaItemView, 'contentUrl' | 'thumbnailUrl'> {
  const base = `/sessions/${encodeURIComponent(sessionId)}/media-items/${encodeURIComponent(itemId)}/content`;
  return { contentUrl: base, thumbnailUrl: `${base}?w=256&h=256&crop=1` };
}

/** One page of a session's items, with a token for the next (an offset only this service reads). */
export function pageOf(items: readonly MediaItemView[], query: { pageSize?: number; pageToken?: string }) {
  const offset = query.pageToken ? decodePageToken(query.pageToken) : 0;
  const next = offset + Math.min(100, query.pageSize ?? 50);
  return { mediaItems: items.slice(offset, next), ...(next < items.length ? { nextPageToken: encodePageToken(next) } : {}) };
}

export function toView(sessionId: string, item: PickedMediaItem): MediaItemView {
  const meta = item.mediaFile.mediaFileMetadata;
  return {
    id: item.id,
    type: item.type,
    createTime: item.createTime ?? null,
    mimeType: item.mediaFile.mimeType ?? null,
    filename: item.mediaFile.filename ?? null,
    width: meta?.width ?? null,
    height: meta?.height ?? null,
    ...contentUrls(sessionId, item.id),
    ...(item.type === 'VIDEO' ? { processingStatus: meta?.videoMetadata?.processingStatus ?? 'UNSPECIFIED' } : {}),
  };
}

/** True when `host` is one of the suffixes or a subdomain of one. */
export function hostAllowed(host: string, suffixes: readonly string[]): boolean {
  const name = host.toLowerCase();
  return suffixes.some((suffix) => name === suffix || name.endsWith(`.${suffix}`));
}

/** Google's URL grammar: photos =d or =wW-hH[-c]; videos =dv, or a still frame when a size is asked for. */
export function mediaParameter(item: PickedMediaItem, query: Pick<ContentRequest, 'w' | 'h' | 'crop'>): string {
  const sized = query.w !== undefined || query.h !== undefined;
  if (!sized) return item.type === 'VIDEO' ? '=dv' : '=d';
  const parts = [query.w !== undefined ? `w${query.w}` : undefined, query.h !== undefined ? `h${query.h}` : undefined].filter(Boolean);
  const crop = query.crop && query.w !== undefined && query.h !== undefined ? '-c' : '';
  return `=${parts.join('-')}${crop}`;
}

/** Drops an answer's body unread; the error its stream raises for being cut short is expected, not a failure. */
function discard(body: Readable): void {
  body.once('error', () => {});
  body.destroy();
}

const mediaHostRefused = () =>
  new AppError({ status: 502, code: 'MEDIA_HOST_NOT_ALLOWED', detail: 'Google returned a media URL on a host outside MEDIA_HOSTS; it was not fetched.' });

function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodePageToken(token: string): number {
  try {
    const { o } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) return o;
  } catch {
    // not one of ours
  }
  throw badRequest('pageToken is not one this service issued.');
}

export interface PickedMediaOptions {
  store: SharedStore;
  accounts: GoogleAccounts;
  sessions: PickerSessions;
  media: MediaClient;
  mediaFailure: MediaFailure;
  mediaHosts: readonly string[];
}

export class PickedMedia {
  readonly #options: PickedMediaOptions;

  constructor(options: PickedMediaOptions) {
    this.#options = options;
  }

  /** The whole list; from the store while its baseUrls are fresh, unless `renew` asks for a new listing. */
  async all(userId: UserId, sessionId: string, options: { renew?: boolean } = {}): Promise<ListedItems> {
    const owned = await this.#options.sessions.owned(userId, sessionId);
    const { store } = this.#options;
    if (!options.renew) {
      const cached = await store.get(itemsKey(sessionId));
      const listed = cached ? (JSON.parse(cached) as ListedItems) : undefined;
      if (listed && Date.now() - listed.listedAt < BASE_URL_FRESH_MS) return listed;
    }
    const listed = await this.#listFromGoogle(userId, sessionId);
    const untilExpiry = owned.expiresAt - Date.now();
    await store.set(itemsKey(sessionId), JSON.stringify(listed), Math.max(1_000, Math.min(BASE_URL_FRESH_MS, untilExpiry)));
    return listed;
  }

  async #listFromGoogle(userId: UserId, sessionId: string): Promise<ListedItems> {
    const listedAt = Date.now();
    const seen = new Set<string>();
    const items: PickedMediaItem[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const page = await this.#options.accounts.withPicker(userId, (api) =>
          api.listMediaItems(sessionId, { pageSize: GOOGLE_PAGE_SIZE, ...(pageToken ? { pageToken } : {}) }));
        for (const item of page.mediaItems) {
          if (item?.id && item.mediaFile?.baseUrl && !seen.has(item.id)) {
            seen.add(item.id);
            items.push(item);
          }
        }
        pageToken = page.nextPageToken;
      } while (pageToken && items.length < MAX_ITEMS);
    } catch (error) {
      if (error instanceof AppError && error.code === 'FAILED_PRECONDITION') {
        throw new AppError({
          status: 409,
          code: 'FAILED_PRECONDITION',
          detail: 'The user has not finished picking yet: poll the session until mediaItemsSet is true.',
          messageKey: 'error.notDone',
          cause: error,
        });
      }
      if (error instanceof AppError && error.code === 'PERMISSION_DENIED') {
        throw new AppError({ status: 403, code: 'PERMISSION_DENIED', detail: 'This picking session has expired.', messageKey: 'error.sessionExpired', cause: error });
      }
      throw error;
    }
    return { items, listedAt };
  }

  async page(userId: UserId, sessionId: string, query: { pageSize?: number; pageToken?: string }) {
    if (query.pageToken) decodePageToken(query.pageToken); // a foreign token is refused before Google is asked
    const { items } = await this.all(userId, sessionId);
    return pageOf(items.map((item) => toView(sessionId, item)), query);
  }

  async find(userId: UserId, sessionId: string, itemId: string, options: { renew?: boolean } = {}): Promise<PickedMediaItem> {
    const { items } = await this.all(userId, sessionId, options);
    const item = items.find((candidate) => candidate.id === itemId);
    if (!item) throw notFound('No item with this id was picked in this session.');
    return item;
  }

  #checkedUrl(baseUrl: string, parameter: string): URL {
    let url: URL;
    try {
      url = new URL(`${baseUrl}${parameter}`);
    } catch {
      throw mediaHostRefused();
    }
    const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
    if (!secure || !hostAllowed(url.hostname, this.#options.mediaHosts) || url.username || url.password) throw mediaHostRefused();
    return url;
  }

  /**
   * Opens the item's bytes at Google (photos =d or sized, videos =dv once READY). The caller pipes the body and
   * aborts `signal` when its reader goes away, which stops the download.
   */
  async open(userId: UserId, sessionId: string, itemId: string, request: ContentRequest = {}): Promise<ItemContent> {
    const { accounts, media, mediaFailure } = this.#options;
    let item = await this.find(userId, sessionId, itemId);
    const parameter = mediaParameter(item, request);
    if (parameter === '=dv') {
      const status = item.mediaFile.mediaFileMetadata?.videoMetadata?.processingStatus;
      if (status !== undefined && status !== 'READY') {
        throw new AppError({ status: 409, code: 'VIDEO_NOT_READY', detail: `Google has not finished processing this video (${status}).` });
      }
    }
    const options = {
      method: request.method ?? 'GET',
      ...(request.range && RANGE.test(request.range) ? { range: request.range, ...(request.ifRange ? { ifRange: request.ifRange } : {}) } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    } as const;
    let answer = await media.open(this.#checkedUrl(item.mediaFile.baseUrl, parameter), await accounts.accessToken(userId), options);
    if (answer.status === 401 || answer.status === 403) {
      // An expired baseUrl (or token): list the session again once for fresh URLs, and retry once.
      discard(answer.body);
      item = await this.find(userId, sessionId, itemId, { renew: true });
      const token = answer.status === 401 ? await accounts.refreshNow(userId) : await accounts.accessToken(userId);
      answer = await media.open(this.#checkedUrl(item.mediaFile.baseUrl, parameter), token, options);
    }
    if (answer.status !== 200 && answer.status !== 206 && answer.status !== 416) {
      discard(answer.body);
      throw mediaFailure(answer.status, answer.headers);
    }
    return { ...answer, item };
  }
}
