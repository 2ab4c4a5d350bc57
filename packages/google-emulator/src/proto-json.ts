/**
 * A request body read as Google's API front end reads it, by the proto3 JSON mapping
 * (https://protobuf.dev/programming-guides/json/): a JSON object whose names are the message's fields, in lowerCamelCase
 * or as the proto spells them. A name the message does not have, a value of the wrong type, or a body that is not JSON
 * at all is INVALID_ARGUMENT, in the words and with the google.rpc.BadRequest details Google answers with
 * (https://cloud.google.com/apis/design/errors#error_details).
 */
import type { FieldViolation } from './google-errors.ts';

type Scalar = 'string' | 'bool' | 'int64' | 'duration' | 'timestamp';
export interface MessageType {
  /** The message's full name, as Google writes it in "Invalid value at …" errors. */
  name: string;
  /** By JSON (lowerCamelCase) name: the proto name and the type. */
  fields: Record<string, { proto: string; type: Scalar | MessageType }>;
}

const PICKING_CONFIG: MessageType = {
  name: 'google.photos.picker.v1.PickingConfig',
  fields: { maxItemCount: { proto: 'max_item_count', type: 'int64' } },
};

const POLLING_CONFIG: MessageType = {
  name: 'google.photos.picker.v1.PollingConfig',
  fields: { pollInterval: { proto: 'poll_interval', type: 'duration' }, timeoutIn: { proto: 'timeout_in', type: 'duration' } },
};

/** https://developers.google.com/photos/picker/reference/rest/v1/sessions#PickingSession (output-only fields are read and ignored). */
export const PICKING_SESSION: MessageType = {
  name: 'google.photos.picker.v1.PickingSession',
  fields: {
    id: { proto: 'id', type: 'string' },
    pickerUri: { proto: 'picker_uri', type: 'string' },
    pollingConfig: { proto: 'polling_config', type: POLLING_CONFIG },
    expireTime: { proto: 'expire_time', type: 'timestamp' },
    pickingConfig: { proto: 'picking_config', type: PICKING_CONFIG },
    mediaItemsSet: { proto: 'media_items_set', type: 'bool' },
  },
};

const SCALAR_LABEL: Record<Scalar, string> = {
  string: 'TYPE_STRING',
  bool: 'TYPE_BOOL',
  int64: 'TYPE_INT64',
  duration: 'type.googleapis.com/google.protobuf.Duration',
  timestamp: 'type.googleapis.com/google.protobuf.Timestamp',
};

const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
const INT64 = /^-?\d+$/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function scalarFits(type: Scalar, value: unknown): boolean {
  switch (type) {
    case 'string': return typeof value === 'string';
    case 'bool': return typeof value === 'boolean';
    case 'int64': return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && INT64.test(value));
    case 'duration': return typeof value === 'string' && DURATION.test(value);
    case 'timestamp': return typeof value === 'string' && TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
  }
}

export type ProtoJsonReading =
  | { ok: true; message: Record<string, unknown> }
  | { ok: false; message: string; fieldViolations: FieldViolation[] };

/**
 * Reads `text` as a `type` message. An empty body is the empty message. The message comes back keyed by JSON names,
 * whichever spelling the body used, without nulls (null is the field's default in proto3 JSON).
 * `acceptUnknownFields` skips names the message does not have instead of refusing them (a knob, not Google).
 */
export function readProtoJson(text: string, type: MessageType, options: { acceptUnknownFields?: boolean } = {}): ProtoJsonReading {
  if (text.trim() === '') return { ok: true, message: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const description = `Invalid JSON payload received. Unexpected token.\n${text.split('\n', 1)[0]!.slice(0, 40)}\n^`;
    return { ok: false, message: description, fieldViolations: [{ description }] };
  }
  if (!isObject(parsed)) {
    const description = 'Invalid JSON payload received. Root element must be a message.';
    return { ok: false, message: description, fieldViolations: [{ description }] };
  }
  const violations: FieldViolation[] = [];
  const message = readMessage(parsed, type, '', violations, options.acceptUnknownFields ?? false);
  if (violations.length > 0) return { ok: false, message: violations.map((v) => v.description).join('\n'), fieldViolations: violations };
  return { ok: true, message };
}

function readMessage(value: Record<string, unknown>, type: MessageType, path: string, violations: FieldViolation[], acceptUnknown: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, fieldValue] of Object.entries(value)) {
    const entry = Object.entries(type.fields).find(([json, field]) => json === name || field.proto === name);
    if (!entry) {
      if (acceptUnknown) continue;
      const description = `Invalid JSON payload received. Unknown name ${JSON.stringify(name)}${path ? ` at '${path}'` : ''}: Cannot find field.`;
      violations.push({ ...(path ? { field: path } : {}), description });
      continue;
    }
    const [json, field] = entry;
    if (fieldValue === null) continue;
    const fieldPath = path ? `${path}.${field.proto}` : field.proto;
    if (typeof field.type === 'string') {
      if (scalarFits(field.type, fieldValue)) out[json] = fieldValue;
      else violations.push(invalidValue(fieldPath, SCALAR_LABEL[field.type], fieldValue));
    } else if (isObject(fieldValue)) {
      out[json] = readMessage(fieldValue, field.type, fieldPath, violations, acceptUnknown);
    } else {
      violations.push(invalidValue(fieldPath, `type.googleapis.com/${field.type.name}`, fieldValue));
    }
  }
  return out;
}

function invalidValue(path: string, label: string, value: unknown): FieldViolation {
  return { field: path, description: `Invalid value at '${path}' (${label}), ${JSON.stringify(value)}` };
}
