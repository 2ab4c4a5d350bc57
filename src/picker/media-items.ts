/**
 * The items picked in a session. The gateway lists them from Google in full
 * (pageSize 100, following nextPageToken to the end), keeps that list for a
 * while in the shared cache, and serves its own pages from it. Item ids for
 * the content route resolve through this list only, never through a URL from
 * the client. baseUrls live 60 minutes, so the list is renewed after 55.
 */
import type { Request } from 'express';
import type { GoogleAccounts } from '../auth/google-account.ts';
import { AppError, badRequest, notFound } from '../errors.ts';
import type { PickedMediaItem } from '../adapters/google/picker-api.ts';
import type { SharedCache } from '../store/shared-cache.ts';
import type { PickerSessions } from './picker-sessions.ts';

export const BASE_URL_FRESH_MS = 55 * 60_000;
const GOOGLE_PAGE_SIZE = 100;
const MAX_ITEMS = 10_000; // far above Google's 2000-per-session ceiling: a guard against a looping pageToken

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

export function toView(sessionId: string, item: PickedMediaItem): MediaItemView {
  const meta = item.mediaFile.mediaFileMetadata;
  const base = `/sessions/${encodeURIComponent(sessionId)}/media-items/${encodeURIComponent(item.id)}/content`;
  return {
    id: item.id,
    type: item.type,
    createTime: item.createTime ?? null,
    mimeType: item.mediaFile.mimeType ?? null,
    filename: item.mediaFile.filename ?? null,
    width: meta?.width ?? null,
    height: meta?.height ?? null,
    contentUrl: base,
    thumbnailUrl: `${base}?w=256&h=256&crop=1`,
    ...(item.type === 'VIDEO' ? { processingStatus: meta?.videoMetadata?.processingStatus ?? 'UNSPECIFIED' } : {}),
  };
}

function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

function decodePageToken(token: string): number {
  try {
    const { o } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // fall through
  }
  throw badRequest('pageToken is not one this service issued.');
}

export class MediaItems {
  readonly #accounts: GoogleAccounts;
  readonly #sessions: PickerSessions;
  readonly #cache: SharedCache;

  constructor(accounts: GoogleAccounts, sessions: PickerSessions, cache: SharedCache) {
    this.#accounts = accounts;
    this.#sessions = sessions;
    this.#cache = cache;
  }

  #key(sessionId: string) {
    return `picker:items:${sessionId}`;
  }

  /** The whole list; from the cache while its baseUrls are fresh, unless `renew` asks for a new listing. */
  async all(req: Request, sessionId: string, options: { renew?: boolean } = {}): Promise<ListedItems> {
    const owned = this.#sessions.ownedOrNotFound(req, sessionId);
    if (!options.renew) {
      const cached = await this.#cache.get<ListedItems>(this.#key(sessionId));
      if (cached && Date.now() - cached.listedAt < BASE_URL_FRESH_MS) return cached;
    }
    const listed = await this.#listFromGoogle(req, sessionId);
    const untilExpiry = owned.expiresAt - Date.now();
    await this.#cache.set(this.#key(sessionId), listed, Math.max(1_000, Math.min(BASE_URL_FRESH_MS, untilExpiry || BASE_URL_FRESH_MS)));
    return listed;
  }

  async #listFromGoogle(req: Request, sessionId: string): Promise<ListedItems> {
    const listedAt = Date.now();
    const seen = new Set<string>();
    const items: PickedMediaItem[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const page = await this.#accounts.withPicker(req, (api) =>
          api.listMediaItems(sessionId, { pageSize: GOOGLE_PAGE_SIZE, ...(pageToken ? { pageToken } : {}) }),
        );
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

  async page(req: Request, sessionId: string, query: { pageSize?: number; pageToken?: string }) {
    const offset = query.pageToken ? decodePageToken(query.pageToken) : 0;
    const pageSize = Math.min(100, query.pageSize ?? 50);
    const { items } = await this.all(req, sessionId);
    const slice = items.slice(offset, offset + pageSize);
    const next = offset + pageSize;
    return {
      mediaItems: slice.map((item) => toView(sessionId, item)),
      ...(next < items.length ? { nextPageToken: encodePageToken(next) } : {}),
    };
  }

  async find(req: Request, sessionId: string, itemId: string, options: { renew?: boolean } = {}): Promise<PickedMediaItem> {
    const { items } = await this.all(req, sessionId, options);
    const item = items.find((candidate) => candidate.id === itemId);
    if (!item) throw notFound('No item with this id was picked in this session.');
    return item;
  }
}
