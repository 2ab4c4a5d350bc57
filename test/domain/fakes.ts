/**
 * In-memory fakes of the domain's Google ports, for unit tests of the domain
 * that run without HTTP: a Picker API that keeps sessions and counts calls,
 * and OAuth endpoints that refresh and revoke.
 */
import { pino } from 'pino';
import { MemorySharedStore } from '../../src/adapters/memory/shared-store.ts';
import { GoogleAccounts } from '../../src/domain/accounts.ts';
import { PickerSessions } from '../../src/domain/picker-sessions.ts';
import type { GoogleTokens, PickedMediaItem, PickerApi, PickingSession, SharedStore } from '../../src/domain/ports.ts';
import { TokenVault } from '../../src/domain/token-vault.ts';
import { AppError } from '../../src/errors.ts';

export const silentLogger = pino({ level: 'silent' });

const googleError = (status: number, code: string) => new AppError({ status, code, detail: `fake Google: ${code}` });

export class FakeGoogle {
  readonly sessions = new Map<string, PickingSession & { owner: string; deleted?: boolean }>();
  readonly calls: Array<{ method: string; id?: string; token: string }> = [];
  /** What the user picked in each session, as Google lists it. */
  readonly picked = new Map<string, PickedMediaItem[]>();
  /** Answers getSession for these ids with PERMISSION_DENIED. */
  readonly denied = new Set<string>();
  #next = 0;
  pollIntervalSeconds = 1;

  count(method: string, id?: string): number {
    return this.calls.filter((call) => call.method === method && (id === undefined || call.id === id)).length;
  }

  complete(id: string): void {
    this.sessions.get(id)!.mediaItemsSet = true;
  }

  api(token: string): PickerApi {
    return {
      createSession: async () => {
        this.calls.push({ method: 'create', token });
        const id = `session-${++this.#next}`;
        const session = {
          id,
          owner: token,
          pickerUri: `https://picker.example/${id}`,
          pollingConfig: { pollInterval: `${this.pollIntervalSeconds}s`, timeoutIn: '1800s' },
          expireTime: new Date(Date.now() + 3_600_000).toISOString(),
          mediaItemsSet: false,
        };
        this.sessions.set(id, session);
        return { ...session };
      },
      getSession: async (id) => {
        this.calls.push({ method: 'get', id, token });
        if (this.denied.has(id)) throw googleError(403, 'PERMISSION_DENIED');
        const session = this.sessions.get(id);
        if (!session || session.deleted) throw googleError(404, 'NOT_FOUND');
        const { owner: _owner, deleted: _deleted, ...answer } = session;
        return answer;
      },
      deleteSession: async (id) => {
        this.calls.push({ method: 'delete', id, token });
        const session = this.sessions.get(id);
        if (!session || session.deleted) throw googleError(404, 'NOT_FOUND');
        session.deleted = true;
      },
      listMediaItems: async (sessionId) => {
        this.calls.push({ method: 'list', id: sessionId, token });
        return { mediaItems: this.picked.get(sessionId) ?? [] };
      },
    };
  }
}

export interface DomainFixture {
  store: SharedStore;
  google: FakeGoogle;
  accounts: GoogleAccounts;
  sessions: PickerSessions;
  /** Another replica: its own services over the same store and Google. */
  replica(): { accounts: GoogleAccounts; sessions: PickerSessions };
  close(): Promise<void>;
}

export async function domainFixture(options: { store?: SharedStore; google?: FakeGoogle } = {}): Promise<DomainFixture> {
  const store = options.store ?? new MemorySharedStore(silentLogger);
  const google = options.google ?? new FakeGoogle();
  const vault = new TokenVault([Buffer.alloc(32, 7)]);
  const build = () => {
    const accounts = new GoogleAccounts({
      store,
      vault,
      oauth: {
        refresh: async (tokens: GoogleTokens) => ({ ...tokens, access_token: `${tokens.access_token}+`, expiry_date: Date.now() + 3_600_000 }),
        revoke: async () => {},
      },
      pickerApi: (token) => google.api(token),
      isInvalidGrant: () => false,
      refreshError: (error) => (error instanceof AppError ? error : googleError(502, 'UNAVAILABLE')),
      tokenTtlMs: 86_400_000,
      logger: silentLogger,
    });
    const sessions = new PickerSessions({ store, accounts, logger: silentLogger, completedGraceMs: 60_000, pollLockMs: 10_000 });
    return { accounts, sessions };
  };
  const { accounts, sessions } = build();
  return { store, google, accounts, sessions, replica: build, close: () => store.close() };
}

/** Connects a user with a fresh access token named after them. */
export async function connectUser(accounts: GoogleAccounts, userId: string): Promise<void> {
  await accounts.connect(userId, { access_token: `token-${userId}`, refresh_token: `refresh-${userId}`, expiry_date: Date.now() + 3_600_000 });
}
