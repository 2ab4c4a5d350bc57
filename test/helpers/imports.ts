/** What tests of imports ask alike: the import's state over HTTP, what landed in a folder, and what Google serves. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { directAccessToken, type Emulator } from '@photos-picker-gateway/google-emulator';
import { eventually, type Client } from './harness.ts';

export interface ImportAnswer {
  status: string;
  items: Array<{ id: string; filename: string; status: string; bytes: number; totalBytes: number | null; key: string; sha256: string | null; error: string | null }>;
  manifestKey: string | null;
}

/** How long a test waits for one step of an import (a copy under way, an item failed): long, for a busy machine. */
export const IMPORT_STEP_MS = 30_000;

export const sha256 = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** GET /sessions/{id}/import, which must answer 200. */
export async function importOf(client: Client, id: string): Promise<ImportAnswer> {
  const answer = await client.get(`/sessions/${id}/import`, { accept: 'json' });
  assert.equal(answer.status, 200, `GET /sessions/${id}/import`);
  return (await answer.json()) as ImportAnswer;
}

/**
 * Waits until the import has finished (done, partial or failed, with its manifest written) and answers it. The wait
 * is long: a machine busy with other work may take many seconds over an import with retries in it.
 */
export async function importEnded(client: Client, id: string, timeoutMs = IMPORT_STEP_MS + 15_000): Promise<ImportAnswer> {
  return eventually(async () => {
    const state = await importOf(client, id);
    return ['done', 'partial', 'failed'].includes(state.status) && state.manifestKey !== null ? state : undefined;
  }, `the import of ${id} ends`, timeoutMs);
}

/** Every file under `root` (hidden ones, such as partial writes, included), relative and sorted; [] when it is absent. */
export async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => !entry.isDirectory()).map((entry) => path.relative(root, path.join(entry.parentPath, entry.name))).sort();
}

/**
 * The original bytes Google serves for `itemIds`, by id: picked in a Picker session of the test's own, straight from
 * the emulator, so they can be compared with what an import wrote. Call it with media unpaced.
 */
export async function googleBytes(emulator: Emulator, itemIds: string[], account = 'alice@example.com'): Promise<Map<string, Buffer>> {
  const token = await directAccessToken(emulator, account);
  const auth = { authorization: `Bearer ${token}` };
  const session = (await (await fetch(`${emulator.url}/v1/sessions`, { method: 'POST', headers: auth })).json()) as { id: string };
  emulator.pick(session.id, { itemIds });
  try {
    const listed = (await (await fetch(`${emulator.url}/v1/mediaItems?sessionId=${session.id}&pageSize=100`, { headers: auth })).json()) as {
      mediaItems: Array<{ id: string; type: string; mediaFile: { baseUrl: string } }>;
    };
    const bytes = new Map<string, Buffer>();
    for (const item of listed.mediaItems) {
      const answer = await fetch(`${item.mediaFile.baseUrl}${item.type === 'VIDEO' ? '=dv' : '=d'}`, { headers: auth });
      assert.equal(answer.status, 200, `Google's bytes of ${item.id}`);
      bytes.set(item.id, Buffer.from(await answer.arrayBuffer()));
    }
    return bytes;
  } finally {
    await fetch(`${emulator.url}/v1/sessions/${session.id}`, { method: 'DELETE', headers: auth });
  }
}

/** An emulator library item's id by its filename (alice's library unless told). */
export function itemNamed(emulator: Emulator, filename: string, account = 'alice@example.com'): string {
  const item = emulator.library(account).find((candidate) => candidate.filename === filename);
  if (!item) throw new Error(`no ${filename} in ${account}'s library`);
  return item.id;
}

/** True while some media download from the emulator has begun and not yet ended: a copy is mid-way. */
export function downloading(emulator: Emulator): boolean {
  return emulator.requests.some((request) => request.kind === 'media' && request.status === null && !request.aborted);
}

/** No log line holds an access token, an Authorization header, a Google media URL or an email. */
export function assertNoSecretsIn(lines: readonly string[]): void {
  for (const line of lines) {
    assert.doesNotMatch(line, /ya29\.|1\/\/0g|Bearer/i, 'a token in the log');
    assert.doesNotMatch(line, /\/lh\//, 'a Google media URL in the log');
    assert.doesNotMatch(line, /@example\.com/, 'an email in the log');
  }
}
