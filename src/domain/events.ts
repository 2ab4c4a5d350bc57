/**
 * What the domain reports happened, for whoever decides what comes next (the
 * jobs layer, src/jobs/). Domain services publish here and hold no queue; a
 * subscriber queues the follow-up work. Publishing waits for every subscriber,
 * so a caller knows the follow-up was recorded (or sees why not) before it
 * answers: "the session was created" is only said once its deletion at Google
 * is scheduled.
 */
import type { Pick } from './picks.ts';
import type { UserId } from './ports.ts';

export type DomainEvent =
  /** A Picker session was created; Google ends it at `expiresAt` (epoch ms) and suggests polling every `pollIntervalMs`. */
  | { type: 'picker-session-created'; userId: UserId; sessionId: string; expiresAt: number; pollIntervalMs: number }
  /** Google first reported the user pressed Done (reported at least once, by whoever polled). */
  | { type: 'picker-session-completed'; userId: UserId; sessionId: string; expiresAt: number }
  /** Google says nothing more will come of the session (timed out, or access ended): it can be deleted there now. */
  | { type: 'picker-session-ended'; userId: UserId; sessionId: string }
  /** The user deleted the session (or signed out, which deletes them all). */
  | { type: 'picker-session-deleted'; userId: UserId; sessionId: string }
  /** A host app's pick has ended, or a step that ended it runs again: told at least once per pick. */
  | { type: 'pick-ended'; pick: Pick };

type Handler = (event: DomainEvent) => Promise<void>;

export class DomainEvents {
  readonly #handlers: Handler[] = [];

  /** Hears every event from now on. */
  subscribe(handler: Handler): void {
    this.#handlers.push(handler);
  }

  /** Tells every subscriber, and settles once they all have (rejecting with the first failure). */
  async publish(event: DomainEvent): Promise<void> {
    await Promise.all(this.#handlers.map((handler) => handler(event)));
  }
}
