/**
 * The OpenAPI document (src/http/openapi.json) as the tests' judge: every API
 * answer and webhook body a test sees is validated against it with a JSON
 * Schema 2020-12 validator, so the document cannot drift from the code.
 *
 * The document lets clients expect new fields (an additive change stays v1);
 * here every object is closed (`additionalProperties: false` wherever the
 * document leaves it open), so a field the code sends and the document does
 * not describe fails the test that sees it.
 */
import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import document from '../../src/http/openapi.json' with { type: 'json' };

// ajv-formats is CommonJS: Node's default import is its module.exports, the plugin itself.
const addFormats = addFormatsModule as unknown as FormatsPlugin;

type Json = Record<string, unknown>;

/** A deep copy where every object schema with properties is closed to others. */
function closed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(closed);
  if (value === null || typeof value !== 'object') return value;
  const copy = Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, closed(inner)])) as Json;
  if (copy.type === 'object' && copy.properties && copy.additionalProperties === undefined) copy.additionalProperties = false;
  return copy;
}

const DOCUMENT_ID = 'https://photos-picker-gateway.test/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addSchema({ ...(closed(document) as Json), $id: DOCUMENT_ID });

const validators = new Map<string, ValidateFunction>();
function validatorAt(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${pointer.split('/').map(encodeURIComponent).join('/')}` });
    validators.set(pointer, validate);
  }
  return validate;
}

/** The JSON-pointer-escaped form of one key (a path such as /api/v1/picks/{pick} has slashes). */
const escape = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

function at(pointer: string): Json {
  let value: unknown = document;
  for (const key of pointer.split('/').slice(1)) value = (value as Json)[key.replaceAll('~1', '/').replaceAll('~0', '~')];
  assert.ok(value && typeof value === 'object', `the document has ${pointer}`);
  return value as Json;
}

/** Follows a $ref to its target's pointer. */
function resolve(pointer: string): string {
  const ref = at(pointer).$ref;
  return typeof ref === 'string' ? resolve(ref.slice(1)) : pointer;
}

/** Validates `value` against the schema at `pointer` (e.g. /components/schemas/Pick); fails the test with ajv's errors. */
export function assertSchema(pointer: string, value: unknown, what = pointer): void {
  const validate = validatorAt(pointer);
  assert.ok(validate(value), `${what} does not follow the OpenAPI document: ${ajv.errorsText(validate.errors, { separator: '; ' })}\n${JSON.stringify(value).slice(0, 2000)}`);
}

/** The document's path template matching a request path, e.g. /api/v1/picks/{pick} for /api/v1/picks/abc. */
function templateOf(pathname: string): string | undefined {
  return Object.keys(document.paths).find((template) =>
    new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(pathname));
}

/** The response object documented for this status: exact, then 4XX/5XX, then default. */
function responsePointer(operation: string, status: number): string | undefined {
  const responses = at(`${operation}/responses`);
  const key = [String(status), `${String(status)[0]}XX`, 'default'].find((candidate) => candidate in responses);
  return key && resolve(`${operation}/responses/${key}`);
}

const mediaTypeOf = (response: Response) => (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();

/** Every header the document lists for this answer: present when required, and following its schema when present. */
function checkHeaders(responseAt: string, response: Response, what: string): void {
  const headers = (at(responseAt).headers ?? {}) as Json;
  for (const name of Object.keys(headers)) {
    const headerAt = resolve(`${responseAt}/headers/${escape(name)}`);
    const value = response.headers.get(name);
    if (value === null) {
      assert.ok(!at(headerAt).required, `${what}: the ${name} header is missing`);
      continue;
    }
    // Header values are text; a header documented as a number is read as one.
    const validate = validatorAt(`${headerAt}/schema`);
    if (validate(value) || (/^\d+$/.test(value) && validate(Number(value)))) continue;
    assert.fail(`${what}: the ${name} header (${value}) does not follow the OpenAPI document: ${ajv.errorsText(validate.errors)}`);
  }
}

async function checkBody(responseAt: string, response: Response, what: string): Promise<void> {
  checkHeaders(responseAt, response, what);
  const documented = at(responseAt);
  const content = documented.content as Json | undefined;
  const type = mediaTypeOf(response);
  if (!content) {
    // A redirect's few words of text (Express writes some) are not an answer anyone reads.
    if (response.status >= 300 && response.status < 400) return;
    assert.equal((await response.clone().arrayBuffer()).byteLength, 0, `${what}: the document says it has no body`);
    return;
  }
  const key = type in content ? type : '*/*' in content ? '*/*' : undefined;
  assert.ok(key, `${what}: ${type || 'no content type'} is not among the documented ${Object.keys(content).join(', ')}`);
  if (type.endsWith('json')) assertSchema(`${responseAt}/content/${escape(key)}/schema`, await response.clone().json(), what);
}

/**
 * Checks an answer of the gateway against the document: its status is documented for the operation, its content
 * type is one the document lists, and a JSON body follows the schema. Undocumented routes under /api/v1 must be a
 * 404 problem. Answers the response, its body unread.
 */
export async function conforms(response: Response, method = 'GET'): Promise<Response> {
  const { pathname } = new URL(response.url);
  const template = templateOf(pathname);
  const operation = template && `/paths/${escape(template)}/${method.toLowerCase()}`;
  const what = `${method} ${pathname} → ${response.status}`;
  if (!operation || !(method.toLowerCase() in at(`/paths/${escape(template)}`))) {
    assert.ok(pathname.startsWith('/api/v1/'), `${what}: not a route of the document`);
    assert.equal(response.status, 404, `${what}: an undocumented route of the API is a 404`);
    await checkBody('/components/responses/NotFound', response, what);
    return response;
  }
  const responseAt = responsePointer(operation, response.status);
  assert.ok(responseAt, `${what}: the document lists no such status for the operation`);
  await checkBody(responseAt, response, what);
  return response;
}

/** Checks a webhook delivery (its headers and raw body) against the document's webhook `name`. */
export function assertWebhook(name: string, headers: Record<string, string | string[] | undefined>, body: string): void {
  const operation = `/webhooks/${escape(name)}/post`;
  (at(operation).parameters as Json[]).forEach((parameter, index) => {
    if (parameter.in !== 'header') return;
    const value = headers[String(parameter.name).toLowerCase()];
    if (parameter.required) assert.ok(typeof value === 'string', `the webhook's ${String(parameter.name)} header is missing`);
    if (typeof value === 'string') assertSchema(`${operation}/parameters/${index}/schema`, value, `the webhook's ${String(parameter.name)} header`);
  });
  assertSchema(`${operation}/requestBody/content/application~1json/schema`, JSON.parse(body), `the ${name} webhook's body`);
}

export { document as openApiDocument };
