/**
 * Deletes Picker sessions at Google once they are finished (after a grace
 * period for their results), timed out or past expireTime, even when their
 * user never comes back. Work comes from a time-ordered schedule in the shared
 * store; a short lock per entry keeps replicas from reaping one session twice.
 * It works with user ids only and never touches anyone's browser session.
 */
import type { Logger } from 'pino';
import { parseReapMember, REAP_QUEUE, type PickerSessions } from './picker-sessions.ts';
import type { SharedStore } from './ports.ts';

const BATCH = 50;
const LOCK_MS = 60_000;
const RETRY_LATER_MS = 5 * 60_000;

export class Reaper {
  readonly #store: SharedStore;
  readonly #sessions: PickerSessions;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(deps: { store: SharedStore; sessions: PickerSessions; logger: Logger }) {
    this.#store = deps.store;
    this.#sessions = deps.sessions;
    this.#logger = deps.logger.child({ component: 'reaper' });
  }

  start(everyMs: number): void {
    this.#timer ??= setInterval(() => {
      this.runOnce().catch((error: unknown) => this.#logger.warn({ err: error }, 'reaper run failed'));
    }, everyMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One pass over the due sessions; answers how many were dealt with. */
  runOnce(): Promise<number> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #pass(): Promise<number> {
    let done = 0;
    for (const member of await this.#store.due(REAP_QUEUE, Date.now(), BATCH)) {
      if (!(await this.#store.setIfAbsent(`picker:reap-lock:${member}`, '1', LOCK_MS))) continue; // another replica has it
      const entry = parseReapMember(member);
      if (!entry) {
        await this.#store.unschedule(REAP_QUEUE, member);
        continue;
      }
      if (await this.#sessions.reap(entry.userId, entry.id)) done++;
      else await this.#store.schedule(REAP_QUEUE, member, Date.now() + RETRY_LATER_MS);
    }
    return done;
  }
}
