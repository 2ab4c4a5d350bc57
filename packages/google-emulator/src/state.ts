/**
 * Everything the emulated Google remembers: demo accounts and their
 * libraries, OAuth clients, consent transactions, codes, grants and tokens,
 * Picker sessions and the baseUrls handed out for their items.
 */
import { createHash, randomBytes } from 'node:crypto';

export const PICKER_SCOPE = 'https://www.googleapis.com/auth/photospicker.mediaitems.readonly';
/** Scopes that are granted with sign-in itself; the rest can be unticked on the consent page. */
export const SIGN_IN_SCOPES = new Set(['openid', 'email', 'profile']);
const EXPANDED_SCOPE: Record<string, string> = {
  email: 'https://www.googleapis.com/auth/userinfo.email',
  profile: 'https://www.googleapis.com/auth/userinfo.profile',
};
export const expandScope = (scope: string) => EXPANDED_SCOPE[scope] ?? scope;
/** Whether `scope` is among `scopes`, in its short (`email`) or expanded (`…/auth/userinfo.email`) form. */
export const includesScope = (scopes: readonly string[], scope: string) => scopes.some((s) => expandScope(s) === expandScope(scope));

export interface Account {
  email: string;
  name: string;
  sub: string;
  hasPhotos: boolean;
}

export const ACCOUNTS: readonly Account[] = [
  { email: 'alice@example.com', name: 'Alice Example', sub: '100000000000000000001', hasPhotos: true },
  { email: 'bob@example.com', name: 'Bob Example', sub: '100000000000000000002', hasPhotos: true },
  { email: 'carol@example.com', name: 'Carol Example', sub: '100000000000000000003', hasPhotos: false },
];

function generatedAccount(n: number): Account {
  return { email: `user${n}@example.com`, name: `User ${n}`, sub: String(200000000000000000000n + BigInt(n)), hasPhotos: true };
}

export interface LibraryItem {
  id: string;
  index: number;
  type: 'PHOTO' | 'VIDEO';
  /** Absent for an added item Google lists without one. */
  filename?: string;
  mimeType: string;
  width: number;
  height: number;
  createTime: string;
  processingStatus?: 'READY' | 'PROCESSING';
  /** Synthetic video of this many bytes (the benchmark's large videos). */
  syntheticBytes?: number;
  /** Which of the large videos it is (0 for the first): each has bytes of its own. */
  syntheticVariant?: number;
  /** An added item's own bytes, served as they are with its mimeType at every size (see addItem). */
  bytes?: Buffer;
}

/** The large synthetic videos a library ends with: how many, and how big each is. */
export interface LargeVideos {
  bytes: number;
  count: number;
}

const SIZES = [
  { width: 1600, height: 1200 }, { width: 1200, height: 1600 }, { width: 2400, height: 800 },
  { width: 1024, height: 1024 }, { width: 800, height: 600 }, { width: 1080, height: 1920 },
];

export const token = (prefix: string, bytes = 24) => `${prefix}${randomBytes(bytes).toString('base64url')}`;

/** The same library for every account with photos; ids are stable per account and position (Google's ids persist). */
export function buildLibrary(account: Account, size: number, largeVideos?: LargeVideos): LibraryItem[] {
  const items: LibraryItem[] = [];
  for (let index = 0; index < size; index++) {
    const id = `AF1Qip${createHash('sha256').update(`${account.email}:${index}`).digest('base64url').slice(0, 32)}`;
    const created = new Date(Date.UTC(2024, 0, 1 + index, 9, index % 60, 0)).toISOString();
    const number = String(index + 1).padStart(3, '0');
    const isVideo = size > 5 ? index === 4 || index === 5 : index === size - 1;
    if (isVideo) {
      items.push({
        id, index, type: 'VIDEO', filename: `video-${number}.mp4`, mimeType: 'video/mp4', width: 320, height: 240, createTime: created,
        processingStatus: index === 5 ? 'PROCESSING' : 'READY',
      });
    } else {
      const { width, height } = SIZES[index % SIZES.length]!;
      items.push({ id, index, type: 'PHOTO', filename: `photo-${number}.png`, mimeType: 'image/png', width, height, createTime: created });
    }
  }
  for (let variant = 0; largeVideos && variant < largeVideos.count; variant++) {
    // The first keeps the name and id it had when there was only one, so existing callers still find it.
    const label = variant === 0 ? 'large' : `large:${variant + 1}`;
    items.push({
      id: `AF1Qip${createHash('sha256').update(`${account.email}:${label}`).digest('base64url').slice(0, 32)}`,
      index: size + variant, type: 'VIDEO',
      filename: variant === 0 ? 'large-video.mp4' : `large-video-${String(variant + 1).padStart(3, '0')}.mp4`,
      mimeType: 'video/mp4', width: 1920, height: 1080,
      createTime: new Date(Date.UTC(2024, 5, 1 + variant)).toISOString(), processingStatus: 'READY',
      syntheticBytes: largeVideos.bytes, syntheticVariant: variant,
    });
  }
  return items;
}

export interface ClientRecord {
  clientId: string;
  clientSecret: string;
  redirectUris: Set<string>;
}

export interface AuthTransaction {
  id: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string | undefined;
  accessType: string;
  /** The `prompt` values asked for (none, consent, select_account). */
  prompts: string[];
  /** include_granted_scopes=true: the grant also covers what the account granted the client before. */
  includeGrantedScopes: boolean;
  /** OpenID Connect's `nonce`, repeated in the id_token. */
  nonce: string | undefined;
  /** The account `login_hint` named, the only one the consent page offers. */
  hintedAccount: Account | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: string;
  createdAt: number;
}

export interface AuthCode {
  code: string;
  clientId: string;
  redirectUri: string;
  account: Account;
  scopes: string[];
  codeChallenge: string | undefined;
  codeChallengeMethod: string;
  nonce: string | undefined;
  /** Exchanging it yields a refresh token: offline access, given on a first or a forced (prompt=consent) consent. */
  refreshable: boolean;
  expiresAt: number;
  used: boolean;
}

export interface Grant {
  id: string;
  account: Account;
  clientId: string;
  scopes: string[];
  refreshToken: string | undefined;
  alive: boolean;
  createdAt: number;
}

/** `scopes` with those of `more` it lacks (by expanded form), in order. */
export function withScopes(scopes: readonly string[], more: Iterable<string>): string[] {
  const out = [...scopes];
  for (const scope of more) if (!includesScope(out, scope)) out.push(scope);
  return out;
}

export interface AccessToken {
  token: string;
  grant: Grant;
  expiresAt: number;
}

export interface PickerSession {
  id: string;
  owner: Account;
  createdAt: number;
  expireAt: number;
  timeoutAt: number;
  maxItemCount: number;
  picked: string[] | null;
  deleted: boolean;
}

export interface MediaGrant {
  owner: Account;
  sessionId: string;
  itemId: string;
  expiresAt: number;
}

export class EmulatorState {
  readonly clients = new Map<string, ClientRecord>();
  readonly transactions = new Map<string, AuthTransaction>();
  readonly codes = new Map<string, AuthCode>();
  readonly grants: Grant[] = [];
  readonly accessTokens = new Map<string, AccessToken>();
  readonly refreshTokens = new Map<string, Grant>();
  /** The scopes (expanded) each account has granted each client (by client id), until a revocation. */
  readonly #consents = new Map<Account, Map<string, Set<string>>>();
  readonly sessions = new Map<string, PickerSession>();
  /** Each account's sessions that may still be open, so counting them does not walk every session ever made. */
  readonly #openSessions = new Map<Account, Set<PickerSession>>();
  readonly requestIds = new Map<string, string>();
  readonly mediaGrants = new Map<string, MediaGrant>();
  readonly libraries = new Map<string, LibraryItem[]>();

  /** The demo accounts, then `extraAccounts` more (user1@example.com, …) for load tests that need many people. */
  readonly accounts: readonly Account[];
  readonly #accountsByEmail: ReadonlyMap<string, Account>;

  constructor(librarySize: number, largeVideos?: LargeVideos, extraAccounts = 0) {
    this.accounts = [...ACCOUNTS, ...Array.from({ length: extraAccounts }, (_, i) => generatedAccount(i + 1))];
    this.#accountsByEmail = new Map(this.accounts.map((account) => [account.email, account]));
    for (const account of this.accounts) if (account.hasPhotos) this.libraries.set(account.email, buildLibrary(account, librarySize, largeVideos));
  }

  account(email: string | undefined): Account | undefined {
    return email === undefined ? undefined : this.#accountsByEmail.get(email);
  }

  /** The account a `login_hint` names: its email or its `sub`, as Google accepts. */
  accountByHint(hint: string | undefined): Account | undefined {
    return hint === undefined ? undefined : (this.account(hint.toLowerCase()) ?? this.accounts.find((a) => a.sub === hint));
  }

  library(account: Account): LibraryItem[] {
    return this.libraries.get(account.email) ?? [];
  }

  item(account: Account, id: string): LibraryItem | undefined {
    return this.library(account).find((item) => item.id === id);
  }

  registerClient(clientId: string, clientSecret: string, redirectUris: string[]): void {
    const existing = this.clients.get(clientId);
    if (existing && existing.clientSecret === clientSecret) {
      // Several test gateways may share one emulator with one client: their redirect URIs add up.
      for (const uri of redirectUris) existing.redirectUris.add(uri);
      return;
    }
    this.clients.set(clientId, { clientId, clientSecret, redirectUris: new Set(redirectUris) });
  }

  /** A valid, unexpired access token on a live grant, or undefined. */
  validToken(value: string | undefined, now = Date.now()): AccessToken | undefined {
    if (!value) return undefined;
    const record = this.accessTokens.get(value);
    return record && record.grant.alive && record.expiresAt > now ? record : undefined;
  }

  issueAccessToken(grant: Grant, ttlSeconds: number): AccessToken {
    const record = { token: token('ya29.a0Emu'), grant, expiresAt: Date.now() + ttlSeconds * 1000 };
    this.accessTokens.set(record.token, record);
    return record;
  }

  issueRefreshToken(grant: Grant): string {
    const refreshToken = token('1//0gEmu');
    grant.refreshToken = refreshToken;
    this.refreshTokens.set(refreshToken, grant);
    // Google keeps at most 100 live refresh tokens per account and client: the oldest is dropped.
    const live = this.grants.filter((g) => g.alive && g.refreshToken && g.account === grant.account && g.clientId === grant.clientId);
    for (const old of live.slice(0, Math.max(0, live.length - 100))) {
      this.refreshTokens.delete(old.refreshToken!);
      old.refreshToken = undefined;
    }
    return refreshToken;
  }

  /** Revocation: the grant dies and the app's consent with it, so the next sign-in is a first consent again. */
  killGrant(grant: Grant): void {
    grant.alive = false;
    if (grant.refreshToken) this.refreshTokens.delete(grant.refreshToken);
    this.forgetConsents(grant.account, grant.clientId);
  }

  /** The account's consent to the client, or to every client. */
  forgetConsents(account: Account, clientId?: string): void {
    if (clientId === undefined) this.#consents.delete(account);
    else this.#consents.get(account)?.delete(clientId);
  }

  /** What the account has granted the client so far; undefined before its first consent. */
  consentedScopes(account: Account, clientId: string): ReadonlySet<string> | undefined {
    return this.#consents.get(account)?.get(clientId);
  }

  recordConsent(account: Account, clientId: string, scopes: string[]): void {
    let clients = this.#consents.get(account);
    if (!clients) this.#consents.set(account, (clients = new Map()));
    let granted = clients.get(clientId);
    if (!granted) clients.set(clientId, (granted = new Set()));
    for (const scope of scopes) granted.add(expandScope(scope));
  }

  addSession(session: PickerSession): void {
    this.sessions.set(session.id, session);
    let open = this.#openSessions.get(session.owner);
    if (!open) this.#openSessions.set(session.owner, (open = new Set()));
    open.add(session);
  }

  deleteSession(session: PickerSession): void {
    session.deleted = true;
    this.#openSessions.get(session.owner)?.delete(session);
  }

  /** Ends a session's life now (a test's shortcut to its expireTime). */
  expireSession(session: PickerSession): void {
    session.expireAt = Date.now();
    this.#openSessions.get(session.owner)?.delete(session);
  }

  /**
   * Whether the account may open one more session under Google's per-user limit. The sessions that may still be
   * open are only walked (and the expired ones dropped) when there are already `limit` of them, so a benchmark
   * with a huge limit never walks them.
   */
  hasRoomForSession(account: Account, limit: number, now = Date.now()): boolean {
    const open = this.#openSessions.get(account);
    if (!open || open.size < limit) return true;
    for (const session of open) if (session.expireAt <= now) open.delete(session);
    return open.size < limit;
  }
}
