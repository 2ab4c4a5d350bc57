/** Reading an import over HTTP, as the session page and API clients do: GET /sessions/{id}/import. */
import assert from 'node:assert/strict';
import { eventually, type Client } from './harness.ts';

export interface ImportAnswer {
  status: string;
  destination: string;
  items: Array<{ id: string; filename: string; status: string; bytes: number; totalBytes: number | null; key: string; sha256: string | null; error: string | null }>;
  manifestKey: string | null;
}

export async function importOf(client: Client, id: string): Promise<ImportAnswer> {
  const answer = await client.get(`/sessions/${id}/import`, { accept: 'json' });
  assert.equal(answer.status, 200);
  return (await answer.json()) as ImportAnswer;
}

/** Waits until the import has ended (done, partial or failed) and answers it. */
export async function importEnded(client: Client, id: string, timeoutMs = 20_000): Promise<ImportAnswer> {
  return eventually(async () => {
    const state = await importOf(client, id);
    return ['done', 'partial', 'failed'].includes(state.status) ? state : undefined;
  }, `the import of ${id} ends`, timeoutMs);
}
