import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { apiVersion } from '@photos-picker-gateway/host-app-client';
import { DOCUMENT, GENERATED, generatedTypes } from '../scripts/types.ts';

describe('the types from the gateway\'s OpenAPI document', () => {
  it('when the document changes, then the committed types are regenerated with it (npm run generate)', async () => {
    assert.equal(await readFile(GENERATED, 'utf8'), await generatedTypes(), 'src/generated/openapi.ts is stale: run `npm run generate` in packages/host-app-client');
  });

  it('when the package says which version of the contract it speaks, then it is the document\'s', async () => {
    const document = JSON.parse(await readFile(DOCUMENT, 'utf8')) as { info: { version: string } };
    assert.equal(apiVersion, document.info.version);
  });
});
