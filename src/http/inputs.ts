/**
 * Every input a request carries, checked in one place: bodies (form or JSON),
 * query strings and path parameters. Numbers are decimal integers and nothing
 * else: in a form or a query string a short run of digits, in JSON a number
 * written as a plain integer (see integerLiteralsOnly). Hex, exponents,
 * fractions, padding, booleans and arrays are refused, and so is a repeated
 * query parameter (which arrives as an array).
 */
import { z } from 'zod';
import { AppError } from '../errors.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
/** Few enough digits that Number() reads them exactly. */
const DECIMAL_DIGITS = /^[0-9]{1,15}$/;
const PLAIN_INTEGER_LITERAL = /^-?(?:0|[1-9][0-9]*)$/;
/** Google's ids are opaque: visible ASCII, bounded. */
const GOOGLE_ID = /^[\x21-\x7e]{1,512}$/;

/**
 * The reviver express.json parses with. JSON.parse reads `2000.0000000000001` as 2000 and `1e3` as 1000, so no
 * schema could tell them from the integers it accepts; with the literal's source text (Node's third reviver
 * argument) any number not written as a plain integer becomes NaN, which every number schema refuses.
 */
export function integerLiteralsOnly(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  return PLAIN_INTEGER_LITERAL.test(context.source) ? value : Number.NaN;
}

/** A field left blank in a form (or null in JSON) is a field not sent. */
const absentIfBlank = (value: unknown) => (value === '' || value === null ? undefined : value);
const digitsToNumber = (value: unknown) => (typeof value === 'string' && DECIMAL_DIGITS.test(value) ? Number(value) : value);

function wholeNumber(name: string, min: number, max: number) {
  const message = `${name} must be a whole number from ${min} to ${max}`;
  return z.preprocess((value) => digitsToNumber(absentIfBlank(value)), z.int({ error: message }).min(min, message).max(max, message).optional());
}

function text(name: string, max: number) {
  const message = `${name} must be text of at most ${max} characters`;
  return z.string({ error: message }).max(max, message);
}

function flag(name: string) {
  return z.preprocess(absentIfBlank, z.enum(['0', '1'], { error: `${name} must be 0 or 1` }).optional());
}

const requestIdMessage = 'requestId must be a UUID version 4';

/** POST /sessions, as a form or as JSON. */
export const createSessionInput = z.object(
  {
    maxItemCount: wholeNumber('maxItemCount', 1, 2000),
    requestId: z.preprocess(absentIfBlank, z.string({ error: requestIdMessage }).regex(UUID_V4, requestIdMessage).optional()),
    /** `session`: the page's own form asks for the session page next (it opens the picker in a tab of its own). */
    next: z.enum(['session']).optional(),
  },
  { error: 'the body must be a JSON object or a form' },
);

/** GET /sessions/{id}/media-items */
export const mediaItemsQuery = z.object({
  pageSize: wholeNumber('pageSize', 1, 100),
  pageToken: z.preprocess(absentIfBlank, text('pageToken', 512).optional()),
});

/** GET /sessions/{id}/media-items/{itemId}/content */
export const contentQuery = z.object({
  w: wholeNumber('w', 1, 16_383),
  h: wholeNumber('h', 1, 16_383),
  crop: flag('crop'),
  download: flag('download'),
});

/** GET /auth/google/callback, as Google sends it back. */
export const callbackQuery = z.object({
  state: text('state', 512).optional(),
  code: text('code', 2048).optional(),
  error: text('error', 256).optional(),
});

/** The {id} of the /sessions routes: a Picker session id as Google made it. */
export const pickerSessionIdParam = z.string({ error: 'the Picker session id is not valid' }).regex(GOOGLE_ID, 'the Picker session id is not valid');

/** The {itemId} of the content route: a picked media item's id as Google made it. */
export const mediaItemIdParam = z.string({ error: 'the media item id is not valid' }).regex(GOOGLE_ID, 'the media item id is not valid');

/** The 400 for a request whose inputs the schemas refused, saying which inputs and why. */
export function invalidInput(error: z.ZodError): AppError {
  const detail = [...new Set(error.issues.map((issue) => issue.message))].join('; ');
  return new AppError({ status: 400, code: 'INVALID_ARGUMENT', detail, cause: error });
}
