/**
 * What the session page shows of an import: a bar per item and one overall
 * while it runs, then the result and the imported items. Where the destination
 * is stays with the operators (logs): it is never shown to the person.
 * public/app.js keeps the bars moving from GET /sessions/{id}/import with the
 * same arithmetic and the message templates this view hands it, so the page
 * the server renders and the page the script updates read the same.
 */
import type { ImportItemStatus, ImportRecord } from '../domain/imports.ts';
import type { MediaItemView } from '../domain/media.ts';
import type { Locale, Translate } from '../i18n/core.ts';

/** `starting`: picked, but the import has not listed the items yet. */
export type ImportPhase = 'starting' | 'running' | 'done' | 'partial' | 'failed';

export interface ImportItemRow {
  id: string;
  filename: string;
  status: ImportItemStatus;
  /** The bar: `value` of `max` (bytes once the size is known); value null while copying something of unknown size. */
  bar: { value: number | null; max: number };
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
  /** Messages with {placeholders} the script fills in as the import moves. */
  templates: Record<string, string>;
}

type ProgressOfItem = Pick<ImportRecord['items'][number], 'status' | 'bytes' | 'totalBytes' | 'copyStartedAt' | 'resumedFrom'>;

/** A copy this large, running this long, also says how fast it goes and how long it has left. */
export const LARGE_ITEM_BYTES = 5_000_000;
const RATE_AFTER_MS = 2_000;

/** How far one item is, from 0 to 1; null when it is being copied but its size is not known. */
function fractionOf(item: ProgressOfItem): number | null {
  if (item.status === 'done' || item.status === 'failed') return 1;
  if (item.status === 'queued') return 0;
  return item.totalBytes ? Math.min(1, item.bytes / item.totalBytes) : null;
}

function barOf(item: ProgressOfItem): ImportItemRow['bar'] {
  if (item.totalBytes) return { value: item.status === 'copying' ? Math.min(item.bytes, item.totalBytes) : item.status === 'queued' ? 0 : item.totalBytes, max: item.totalBytes };
  const fraction = fractionOf(item);
  return { value: fraction, max: 1 };
}

function placeholders(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, `{${name}}`]));
}

/** Sizes, rates and durations in the page's language and digits (as public/app.js formats them). */
export function quantities(locale: Locale) {
  const unit = (name: string, digits: number) => new Intl.NumberFormat(locale, { style: 'unit', unit: name, maximumFractionDigits: digits });
  const scale = (bytes: number) => (bytes >= 1e9 ? ['gigabyte', 1e9] : bytes >= 1e6 ? ['megabyte', 1e6] : bytes >= 1e3 ? ['kilobyte', 1e3] : ['byte', 1]) as [string, number];
  return {
    bytes(bytes: number): string {
      const [name, size] = scale(bytes);
      // "0 bytes", not "0 byte": under a kilobyte the unit is spelled out.
      if (size === 1) return new Intl.NumberFormat(locale, { style: 'unit', unit: 'byte', unitDisplay: 'long' }).format(bytes);
      return unit(name, 1).format(bytes / size);
    },
    rate(bytesPerSecond: number): string {
      const [name, size] = scale(bytesPerSecond);
      return unit(`${name}-per-second`, 1).format(bytesPerSecond / size);
    },
    duration(ms: number): string {
      const seconds = Math.max(1, Math.ceil(ms / 1000));
      return seconds < 60
        ? new Intl.NumberFormat(locale, { style: 'unit', unit: 'second', unitDisplay: 'long' }).format(seconds)
        : new Intl.NumberFormat(locale, { style: 'unit', unit: 'minute', unitDisplay: 'long' }).format(Math.ceil(seconds / 60));
    },
  };
}

export function importView(options: {
  record: ImportRecord | undefined;
  imported: MediaItemView[] | undefined;
  t: Translate;
  locale: Locale;
  now?: number;
}): ImportView {
  const { record, t, locale } = options;
  const now = options.now ?? Date.now();
  const number = new Intl.NumberFormat(locale);
  const amount = quantities(locale);

  const statusText = (item: ProgressOfItem): string => {
    if (item.status !== 'copying') return t(`import.item.${item.status}`);
    if (!item.totalBytes) return t('import.item.copying');
    const values = { copied: amount.bytes(item.bytes), total: amount.bytes(item.totalBytes) };
    const elapsed = item.copyStartedAt ? now - item.copyStartedAt : 0;
    // A copy that went on from an earlier try's bytes is as fast as the bytes it copied itself.
    const copiedNow = item.bytes - (item.resumedFrom ?? 0);
    if (item.totalBytes >= LARGE_ITEM_BYTES && elapsed >= RATE_AFTER_MS && copiedNow > 0) {
      const perSecond = (copiedNow * 1000) / elapsed;
      return t('import.item.copyingRate', { ...values, rate: amount.rate(perSecond), left: amount.duration(((item.totalBytes - item.bytes) / perSecond) * 1000) });
    }
    return t('import.item.copyingBytes', values);
  };
  const items = (record?.items ?? []).map((item): ImportItemRow => ({
    id: item.id,
    filename: item.filename,
    status: item.status,
    bar: barOf(item),
    statusText: statusText(item),
    error: item.error,
  }));
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
    templates: {
      queued: t('import.item.queued'),
      copying: t('import.item.copying'),
      copyingBytes: t('import.item.copyingBytes', placeholders('copied', 'total')),
      copyingRate: t('import.item.copyingRate', placeholders('copied', 'total', 'rate', 'left')),
      done: t('import.item.done'),
      count: t('import.count', placeholders('done', 'total')),
      countWithFailures: t('import.count.withFailures', placeholders('done', 'total', 'failed')),
      milestone: t('import.milestone', placeholders('percent')),
    },
  };
}
