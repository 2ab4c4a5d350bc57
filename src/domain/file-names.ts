/**
 * Names for imported files, made from Google's `filename` (which the person
 * chose, or a camera did): safe on every destination and unique within their
 * folder. No path separator, no `.`/`..`, no control or bidi-override
 * character, at most 200 bytes of UTF-8 (cut between characters, the
 * extension kept), and never a name a client sent as a path.
 */

const MAX_BYTES = 200;
// Separators, reserved on Windows-backed shares, C0/C1 controls, and bidi overrides that disguise an extension.
const UNSAFE = /[\\/:*?"<>|\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

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

/** A safe file name for `filename`, or `fallback` (e.g. the item id with an extension) when nothing usable is left. */
export function safeFileName(filename: string | undefined, fallback: string): string {
  const cleaned = (filename ?? '').normalize('NFC').replace(UNSAFE, '_').replace(/\s+/g, ' ').trim().replace(/^\.+/, '');
  const name = cleaned === '' || /^[._ ]+$/.test(cleaned) ? fallback : cleaned;
  const { stem, extension } = splitExtension(name);
  return `${cutToBytes(stem, MAX_BYTES - utf8Length(extension))}${extension}`;
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
