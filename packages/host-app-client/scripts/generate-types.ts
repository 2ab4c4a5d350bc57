/** `npm run generate`: writes src/generated/openapi.ts from the gateway's OpenAPI document (see types.ts). */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { GENERATED, generatedTypes } from './types.ts';

await mkdir(path.dirname(fileURLToPath(GENERATED)), { recursive: true });
await writeFile(GENERATED, await generatedTypes());
console.log(`wrote ${fileURLToPath(GENERATED)}`);
