/**
 * What the session page shows of an import: a bar per item and one overall
 * while it runs, then the result and the imported items. Where the destination
 * is stays with the operators (logs): it is never shown to the person.
 * public/app.js keeps the bars moving from GET /sessions/{id}/import with the
 * same arithmetic and the message templates this view hands it, so the page
 * the server renders and the page the script updates read the same.
 */
import path from 'node:path';
import type { ImportItemStatus, ImportRecord } from '../domain/imports.ts';
import type { MediaItemView } from '../domain/media.ts';
import type { Locale, Translate } from '../i18n/core.ts';

/** `starting`: picked, but the import has not listed the items yet. */
export type ImportPhase = 'starting' | 'running' | 'done' | 'partial' | 'failed';

export interface ImportItemRow {
  id: string;
  filename: string;
  status: ImportItemStatus;
  /** 0 to 100; null while copying something whose size is not known yet (an indeterminate bar). */
  percent: number | null;
  statusText: string;
  error: string | null;
}

export interface ImportView {
  phase: ImportPhase;
  total: number;
  done: number;
  failed: number;
  /** Items settled, counting a copy under way by the share of its bytes copied; out of `total`. */
  overall: number;
  countText: string;
  items: ImportItemRow[];
  failedItems: ImportItemRow[];
  /** The imported items, served from the destination (only once the import has ended). */
  imported: MediaItemView[];
  /** The folder of the import, relative to the destination (once its manifest is written). */
  folder: string | null;
  /** Messages with {placeholders} the script fills in as the import moves. */
  templates: Record<string, string>;
}

type ProgressOfItem = Pick<ImportRecord['items'][number], 'status' | 'bytes' | 'totalBytes'>;

/** How far one item is, from 0 to 1; null when it is being copied but its size is not known. */
function fractionOf(item: ProgressOfItem): number | null {
  if (item.status === 'done' || item.status === 'failed') return 1;
  if (item.status === 'queued') return 0;
  return item.totalBytes ? Math.min(1, item.bytes / item.totalBytes) : null;
}

function placeholders(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, `{${name}}`]));
}

export function importView(options: {
  record: ImportRecord | undefined;
  imported: MediaItemView[] | undefined;
  t: Translate;
  locale: Locale;
}): ImportView {
  const { record, t, locale } = options;
  const number = new Intl.NumberFormat(locale);
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });

  const statusText = (item: ProgressOfItem): string => {
    if (item.status === 'copying') {
      const fraction = fractionOf(item);
      return fraction === null ? t('import.item.copying') : t('import.item.copyingPercent', { percent: percent.format(fraction) });
    }
    return t(`import.item.${item.status}`);
  };
  const items = (record?.items ?? []).map((item): ImportItemRow => {
    const fraction = fractionOf(item);
    return {
      id: item.id,
      filename: item.filename,
      status: item.status,
      percent: fraction === null ? null : Math.round(fraction * 100),
      statusText: statusText(item),
      error: item.error,
    };
  });
  const done = items.filter((item) => item.status === 'done').length;
  const failed = items.filter((item) => item.status === 'failed').length;
  const counts = { done: number.format(done), total: number.format(items.length), failed: number.format(failed) };
  return {
    phase: !record || record.status === 'waiting' ? 'starting' : record.status,
    total: items.length,
    done,
    failed,
    overall: (record?.items ?? []).reduce((sum, item) => sum + (fractionOf(item) ?? 0), 0),
    countText: t(failed > 0 ? 'import.count.withFailures' : 'import.count', counts),
    items,
    failedItems: items.filter((item) => item.status === 'failed'),
    imported: options.imported ?? [],
    folder: record?.manifestKey ? `${path.posix.dirname(record.manifestKey)}/` : null,
    templates: {
      queued: t('import.item.queued'),
      copying: t('import.item.copying'),
      copyingPercent: t('import.item.copyingPercent', placeholders('percent')),
      done: t('import.item.done'),
      count: t('import.count', placeholders('done', 'total')),
      countWithFailures: t('import.count.withFailures', placeholders('done', 'total', 'failed')),
    },
  };
}
