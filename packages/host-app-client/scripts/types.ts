/**
 * The package's types, generated from the gateway's OpenAPI document by
 * openapi-typescript: `npm run generate` writes src/generated/openapi.ts, and
 * a test fails when the committed file is not what the document gives today.
 * Types only (no runtime code), as a .ts file so the build emits its
 * declarations beside the others.
 */
import { readFile } from 'node:fs/promises';
import openapiTS, { astToString } from 'openapi-typescript';

export const DOCUMENT = new URL('../../../src/http/openapi.json', import.meta.url);
export const GENERATED = new URL('../src/generated/openapi.ts', import.meta.url);

const HEADER = `/**
 * Generated from the gateway's OpenAPI document (src/http/openapi.json) by
 * openapi-typescript: do not edit; run \`npm run generate\` in this package.
 */
`;

export async function generatedTypes(): Promise<string> {
  const document = JSON.parse(await readFile(DOCUMENT, 'utf8')) as Parameters<typeof openapiTS>[0];
  return HEADER + astToString(await openapiTS(document, { exportType: false, alphabetize: false }));
}
