/**
 * A pick as its app reads it: the body of GET /api/v1/picks/{pick} and the
 * `data` of the pick.completed webhook, built in one place so the two never
 * disagree.
 */
import { AppError } from '../errors.ts';
import { manifestItem, type Imports } from './imports.ts';
import { ENDED, type Pick, type PickStatus, type WebhookState } from './picks.ts';

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

/**
 * How a pick goes, as the app's page follows it (embed.js, with the pick's ticket): its status, its items as they
 * are copied, and, once it has ended, what the full-page flow would have brought back to return_to. Nothing about
 * the items but counts: their names and bytes are the API's, behind the app's secret.
 */
export interface PickProgress {
  pick: string;
  status: PickStatus;
  items: { total: number; done: number; failed: number } | null;
  ended: { pick: string; status: PickStatus; state: string | null } | null;
}

export async function pickProgress(pick: Pick, imports: Imports | undefined): Promise<PickProgress> {
  const record = pick.status === 'pending' || pick.status === 'picking' ? undefined : await importOf(pick, imports);
  const count = (status: string) => record?.items.filter((item) => item.status === status).length ?? 0;
  return {
    pick: pick.id,
    status: pick.status,
    items: record ? { total: record.items.length, done: count('done'), failed: count('failed') } : null,
    ended: ENDED.has(pick.status) ? { pick: pick.id, status: pick.status, state: pick.state } : null,
  };
}
