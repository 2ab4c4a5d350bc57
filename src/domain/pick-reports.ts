/**
 * A pick as its app reads it: the body of GET /api/v1/picks/{pick} and the
 * `data` of the pick.completed webhook, built in one place so the two never
 * disagree.
 */
import { AppError } from '../errors.ts';
import { manifestItem, type Imports } from './imports.ts';
import type { Pick, PickStatus, WebhookState } from './picks.ts';

export interface PickReport {
  id: string;
  app: string;
  sub: string;
  state: string | null;
  status: PickStatus;
  createdAt: string;
  completedAt: string | null;
  items: Array<ReturnType<typeof manifestItem>>;
  webhook: WebhookState;
}

export async function pickReport(pick: Pick, imports: Imports | undefined): Promise<PickReport> {
  return {
    id: pick.id,
    app: pick.app,
    sub: pick.sub,
    state: pick.state,
    status: pick.status,
    createdAt: pick.createdAt,
    completedAt: pick.completedAt,
    items: ((await importOf(pick, imports))?.items ?? []).map(manifestItem),
    webhook: pick.webhook,
  };
}

async function importOf(pick: Pick, imports: Imports | undefined) {
  if (!imports || !pick.userId || !pick.pickerSessionId) return undefined;
  try {
    return await imports.state(pick.userId, pick.pickerSessionId);
  } catch (error) {
    // The user deleted the Picker session (at logout, say) or its record ran out: the pick has no items to show.
    // Anything else (the store away) is not "no items", and must not reach a webhook as such.
    if (error instanceof AppError && error.status === 404) return undefined;
    throw error;
  }
}
