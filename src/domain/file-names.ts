/**
 * Names for imported files, made from Google's `filename` (which the person
 * chose, or a camera did), or from Google's item id when there is none: safe
 * on every destination and unique within their folder. No path separator, no
 * `.`/`..`, no control or bidi-override character, no Windows device name
 * (`CON`, `nul.txt`, …) and no trailing dot or space (Windows drops them, so
 * two names would meet), at most 200 bytes of UTF-8 (cut between characters,
 * the extension kept), and never a name a client sent as a path.
 */
import type { PickedMediaItem } from './ports.ts';

const MAX_BYTES = 200;
// Separators, reserved on Windows-backed shares, C0/C1 controls, and bidi overrides that disguise an extension.
const UNSAFE = /[\\/:*?"<>|\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/**
 * Names Windows gives to devices, whatever follows their first dot (`con.txt` and `con.tar.gz` are the console
 * too), with the superscript digits recent Windows also reserves.
 */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;
/** What is left when nothing usable is: a name is never empty. */
const LAST_RESORT = 'item';

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Cuts `text` to at most `bytes` of UTF-8 without splitting a character. */
function cutToBytes(text: string, bytes: number): string {
  let out = '';
  for (const character of text) {
    if (utf8Length(out + character) > bytes) break;
    out += character;
  }
  return out;
}

function splitExtension(name: string): { stem: string; extension: string } {
  const dot = name.lastIndexOf('.');
  // A leading dot is part of the name, not an extension; an extension longer than 16 bytes is not one.
  if (dot <= 0 || utf8Length(name.slice(dot)) > 16) return { stem: name, extension: '' };
  return { stem: name.slice(0, dot), extension: name.slice(dot) };
}

/** `text` with nothing unsafe left in it; '' when nothing usable is left. */
function cleaned(text: string | undefined): string {
  const name = (text ?? '')
    .normalize('NFC')
    .replace(UNSAFE, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[. ]+|[. ]+$/g, '');
  if (name === '' || /^[._ ]+$/.test(name)) return '';
  // Windows reads the name before the first dot, trailing spaces ignored.
  return WINDOWS_DEVICE.test(name.split('.')[0]!.trimEnd()) ? `_${name}` : name;
}

/** `name` in at most 200 bytes, its extension kept; no trailing dot or space left by the cut. */
function bounded(name: string): string {
  const { stem, extension } = splitExtension(name);
  const cut = `${cutToBytes(stem, MAX_BYTES - utf8Length(extension))}${extension}`;
  return extension === '' ? cut.replace(/[. ]+$/, '') || LAST_RESORT : cut;
}

/**
 * A safe file name for `filename`, or for `fallback` (e.g. the item id with an extension) when nothing usable is
 * left of it. The fallback is cleaned the same way: an id is Google's text too.
 */
export function safeFileName(filename: string | undefined, fallback: string): string {
  return bounded(cleaned(filename) || cleaned(fallback) || LAST_RESORT);
}

/** A picked item's safe name: Google's filename, or its id with the extension of its kind. */
export function itemFileName(item: PickedMediaItem): string {
  return safeFileName(item.mediaFile.filename, `${item.id}${item.type === 'VIDEO' ? '.mp4' : '.jpg'}`);
}

/**
 * Gives each name in turn a form not yet `taken` in its folder (compared without case, as many file systems do),
 * adding " (2)", " (3)", … before the extension. Adds what it answers to `taken`.
 */
export function uniqueFileName(name: string, taken: Set<string>): string {
  const { stem, extension } = splitExtension(name);
  let candidate = name;
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) {
    const suffix = ` (${n})`;
    candidate = `${cutToBytes(stem, MAX_BYTES - utf8Length(extension) - utf8Length(suffix))}${suffix}${extension}`;
  }
  taken.add(candidate.toLowerCase());
  return candidate;
}
