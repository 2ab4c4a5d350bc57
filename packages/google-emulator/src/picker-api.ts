/**
 * The Photos Picker API v1: sessions.create/get/delete and mediaItems.list,
 * with Google's statuses, error bodies, paging rules and output fields.
 */
import express, { Router, type Request, type Response } from 'express';
import { bearer, bearerChallenge, googleError, unauthenticated } from './google-errors.ts';
import { PICKING_SESSION, readProtoJson } from './proto-json.ts';
import { PICKER_SCOPE, token, type AccessToken, type EmulatorState, type LibraryItem, type PickerSession } from './state.ts';
import type { EmulatorKnobs } from './index.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;

const duration = (ms: number) => `${Math.max(0, Math.ceil(ms / 1000))}s`;
const secondsDuration = (seconds: number) => `${+seconds.toFixed(3)}s`;

/** Authenticates the call: 401 without a valid token, 403 without the picker scope. */
function authorize(state: EmulatorState, req: Request, res: Response, method: string): AccessToken | undefined {
  const presented = bearer(req);
  const access = state.validToken(presented);
  if (!access) {
    unauthenticated(res, Boolean(presented), method);
    return undefined;
  }
  if (!access.grant.scopes.includes(PICKER_SCOPE)) {
    res.set('WWW-Authenticate', bearerChallenge('insufficient_scope', PICKER_SCOPE));
    googleError(res, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', { reason: 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', method });
    return undefined;
  }
  return access;
}

export function sessionJson(session: PickerSession, knobs: EmulatorKnobs, publicUrl: string, now = Date.now()) {
  const picked = session.picked !== null;
  return {
    id: session.id,
    pickerUri: `${publicUrl}/picker/${session.id}`,
    ...(picked ? {} : { pollingConfig: { pollInterval: secondsDuration(knobs.pollIntervalSeconds), timeoutIn: duration(session.timeoutAt - now) } }),
    expireTime: new Date(session.expireAt).toISOString(),
    pickingConfig: { maxItemCount: String(session.maxItemCount) },
    mediaItemsSet: picked,
  };
}

function itemJson(item: LibraryItem, baseUrl: string) {
  return {
    id: item.id,
    createTime: item.createTime,
    type: item.type,
    mediaFile: {
      baseUrl,
      mimeType: item.mimeType,
      ...(item.filename === undefined ? {} : { filename: item.filename }),
      mediaFileMetadata: {
        width: item.width,
        height: item.height,
        cameraMake: 'Emulator',
        cameraModel: 'Pixel Emu',
        ...(item.type === 'PHOTO'
          ? { photoMetadata: { focalLength: 4.38, apertureFNumber: 1.8, isoEquivalent: 100, exposureTime: '0.008s' } }
          : { videoMetadata: { fps: 30, processingStatus: item.processingStatus } }),
      },
    },
  };
}

export function pickerApiRoutes(state: EmulatorState, knobs: EmulatorKnobs, urls: () => { publicUrl: string; mediaUrl: string }): Router {
  const router = Router();

  /** The caller's own session, or a NOT_FOUND / PERMISSION_DENIED answer. */
  const ownSession = (req: Request, res: Response, access: AccessToken, id: string | undefined): PickerSession | undefined => {
    const session = id ? state.sessions.get(id) : undefined;
    if (!session || session.deleted || session.owner !== access.grant.account) {
      googleError(res, 'NOT_FOUND', 'Requested entity was not found.');
      return undefined;
    }
    if (session.expireAt <= Date.now()) {
      googleError(res, 'PERMISSION_DENIED', 'Access to this session has expired.');
      return undefined;
    }
    return session;
  };

  // The body as text, whatever its Content-Type, so that anything but a PickingSession is refused as Google refuses it.
  router.post('/v1/sessions', express.text({ type: () => true, limit: '16kb' }), (req, res) => {
    const access = authorize(state, req, res, 'google.photos.picker.v1.PickingService.CreateSession');
    if (!access) return;
    const account = access.grant.account;
    const requestId = typeof req.query.requestId === 'string' ? req.query.requestId : undefined;
    if (req.query.requestId !== undefined && (!requestId || !UUID_V4.test(requestId))) {
      return googleError(res, 'INVALID_ARGUMENT', 'Invalid request_id: must be a UUID version 4.');
    }
    const body = readProtoJson(typeof req.body === 'string' ? req.body : '', PICKING_SESSION, { acceptUnknownFields: knobs.acceptUnknownFields });
    if (!body.ok) return googleError(res, 'INVALID_ARGUMENT', body.message, { fieldViolations: body.fieldViolations });
    const rawMax = (body.message.pickingConfig as { maxItemCount?: string | number } | undefined)?.maxItemCount;
    const maxItemCount = rawMax === undefined ? 2000 : Number(rawMax);
    if (!Number.isInteger(maxItemCount) || maxItemCount < 1 || maxItemCount > 2000) {
      return googleError(res, 'INVALID_ARGUMENT', 'Invalid picking_config.max_item_count: must be between 1 and 2000.');
    }
    if (!account.hasPhotos) return googleError(res, 'FAILED_PRECONDITION', 'The user does not have an active Google Photos account.');
    if (requestId) {
      const existing = state.sessions.get(state.requestIds.get(`${account.email}|${requestId}`) ?? '');
      if (existing && !existing.deleted) return res.json(sessionJson(existing, knobs, urls().publicUrl));
    }
    if (!state.hasRoomForSession(account, knobs.maxOpenSessionsPerUser)) {
      return googleError(res, 'RESOURCE_EXHAUSTED', 'Too many sessions have been created for this user. Delete sessions that are no longer needed.');
    }
    const now = Date.now();
    const session: PickerSession = {
      id: token('', 18).replace(/[-_]/g, 'x'),
      owner: account,
      createdAt: now,
      expireAt: now + knobs.sessionTtlSeconds * 1000,
      timeoutAt: now + knobs.pickingTimeoutSeconds * 1000,
      maxItemCount,
      picked: null,
      deleted: false,
    };
    state.addSession(session);
    if (requestId) state.requestIds.set(`${account.email}|${requestId}`, session.id);
    res.json(sessionJson(session, knobs, urls().publicUrl, now));
  });

  router.get('/v1/sessions/:id', (req, res) => {
    const access = authorize(state, req, res, 'google.photos.picker.v1.PickingService.GetSession');
    if (!access) return;
    const session = ownSession(req, res, access, req.params.id);
    if (session) res.json(sessionJson(session, knobs, urls().publicUrl));
  });

  router.delete('/v1/sessions/:id', (req, res) => {
    const access = authorize(state, req, res, 'google.photos.picker.v1.PickingService.DeleteSession');
    if (!access) return;
    const session = state.sessions.get(req.params.id);
    if (!session || session.deleted || session.owner !== access.grant.account) return googleError(res, 'NOT_FOUND', 'Requested entity was not found.');
    state.deleteSession(session);
    res.json({});
  });

  router.get('/v1/mediaItems', (req, res) => {
    const access = authorize(state, req, res, 'google.photos.picker.v1.MediaItemsService.ListMediaItems');
    if (!access) return;
    const sessionId = typeof req.query.sessionId === 'string' ? req.query.sessionId : undefined;
    if (!sessionId) return googleError(res, 'INVALID_ARGUMENT', 'Missing required field: session_id.');
    const session = ownSession(req, res, access, sessionId);
    if (!session) return;
    if (session.picked === null) {
      return googleError(res, 'FAILED_PRECONDITION', 'The user has not finished picking media items for this session. Poll the session until mediaItemsSet is true.');
    }
    const pageSizeRaw = req.query.pageSize === undefined ? 0 : Number(req.query.pageSize);
    if (!Number.isInteger(pageSizeRaw) || pageSizeRaw < 0) return googleError(res, 'INVALID_ARGUMENT', 'page_size must not be negative.');
    const pageSize = pageSizeRaw === 0 ? DEFAULT_PAGE_SIZE : Math.min(MAX_PAGE_SIZE, pageSizeRaw);
    let offset = 0;
    if (typeof req.query.pageToken === 'string' && req.query.pageToken !== '') {
      const decoded = decodePageToken(req.query.pageToken, session.id);
      if (decoded === undefined) return googleError(res, 'INVALID_ARGUMENT', 'Invalid page_token.');
      offset = decoded;
    }
    const ids = session.picked.slice(offset, offset + pageSize);
    const expiresAt = Date.now() + knobs.baseUrlTtlSeconds * 1000;
    const mediaItems = ids.map((itemId) => {
      const key = token('', 30);
      state.mediaGrants.set(key, { owner: session.owner, sessionId: session.id, itemId, expiresAt });
      return itemJson(state.item(session.owner, itemId)!, `${urls().mediaUrl}/lh/${key}`);
    });
    const next = offset + pageSize;
    res.json({ mediaItems, ...(next < session.picked.length ? { nextPageToken: encodePageToken(next, session.id) } : {}) });
  });

  return router;
}

function encodePageToken(offset: number, sessionId: string): string {
  return Buffer.from(`${sessionId}:${offset}`).toString('base64url');
}

function decodePageToken(tokenValue: string, sessionId: string): number | undefined {
  const [id, offset] = Buffer.from(tokenValue, 'base64url').toString('utf8').split(':');
  const n = Number(offset);
  return id === sessionId && Number.isInteger(n) && n >= 0 ? n : undefined;
}
