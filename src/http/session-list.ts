/**
 * "Your picking sessions" on the home page: each told apart by what became of
 * it (waiting, picked, importing, imported), how many items, a thumbnail or
 * two of what was imported, and when it started. Sessions that ended with
 * nothing to show are left out. Read from the shared store only: listing never
 * asks Google.
 */
import type { Imports } from '../domain/imports.ts';
import { contentUrls } from '../domain/media.ts';
import type { PickerSessions } from '../domain/picker-sessions.ts';
import type { UserId } from '../domain/ports.ts';
import type { Translate } from '../i18n/core.ts';

export interface SessionSummary {
  id: string;
  createdAt: Date;
  status: string;
  thumbnails: string[];
}

const THUMBNAILS = 2;

export async function sessionSummaries(userId: UserId, pickerSessions: PickerSessions, imports: Imports | undefined, t: Translate): Promise<SessionSummary[]> {
  const sessions = await pickerSessions.known(userId);
  const records = await Promise.all(sessions.map((session) => (session.status === 'pending' ? undefined : imports?.state(userId, session.id).catch(() => undefined))));
  const seen = new Set<string>();
  const summaries: SessionSummary[] = [];
  sessions.forEach((session, index) => {
    if (seen.has(session.id)) return;
    seen.add(session.id);
    const record = records[index];
    if (!record && session.status === 'expired') return; // gone: nothing left to show or do
    const items = record?.items ?? [];
    const done = items.filter((item) => item.status === 'done');
    const status = !record
      ? t(session.status === 'pending' ? 'home.sessions.pending' : 'home.sessions.picked')
      : record.status === 'running' || record.status === 'waiting'
        ? t('home.sessions.importing', { done: done.length, total: items.length })
        : record.status === 'done'
          ? t('import.done.heading', { count: done.length })
          : record.status === 'partial'
            ? t('import.partial.heading', { done: done.length, total: items.length })
            : t('import.failed.heading');
    summaries.push({
      id: session.id,
      createdAt: new Date(session.createdAt),
      status,
      thumbnails: done.slice(0, THUMBNAILS).map((item) => contentUrls(session.id, item.id).thumbnailUrl),
    });
  });
  return summaries;
}
