/**
 * An import kept running in the background of the API profile: `importers` people each pick the 1 GiB video of their
 * library, and pick it again as soon as their import is done, so the gateway copies `importers` downloads at once for
 * as long as the load runs. Each finished import's folder is removed, so the disk holds at most one copy per person;
 * when the load stops, the imports under way are stopped as a person does, by deleting their sessions.
 */
import type http from 'node:http';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { call, callJson } from './http-call.ts';
import type { Running } from './processes.ts';
import { createGatewaySession, type GatewayUser } from './sign-in.ts';

/** How often each importer asks how its import goes: as the session page's script does (IMPORT_POLL_MS in public/app.js). */
const POLL_MS = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ImportLoad {
  /**
   * Starts the copies; resolves once every importer's first import is copying, so that a round measured from then on
   * meets the copies themselves, not the picks and plans that start them.
   */
  start(): Promise<void>;
  /** Stops the load: the sessions still importing are deleted, which stops their copies. Answers the bytes copied since start. */
  stop(): Promise<number>;
}

/** `folder`: the gateway's import destination (`file:` + folder), the load's alone. */
export function importLoad(options: { agent: http.Agent; emulatorUrl: string; gateway: Running; importers: readonly GatewayUser[]; folder: string }): ImportLoad {
  const { agent, emulatorUrl, gateway, importers, folder } = options;
  let running = false;
  let bytes = 0;
  let loops: Promise<void>[] = [];

  const largeVideoOf = async (user: GatewayUser) => {
    const library = await callJson<Array<{ id: string; filename: string }>>(agent, `${emulatorUrl}/__emulator/library?account=${encodeURIComponent(user.account)}`);
    return library.find((item) => item.filename === 'large-video.mp4')!.id;
  };

  const importOnce = async (user: GatewayUser, itemId: string, copying: (copied: number) => void) => {
    const id = await createGatewaySession(agent, gateway.url, user);
    await call(agent, `${emulatorUrl}/__emulator/sessions/${id}/pick`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ itemIds: [itemId] }),
    });
    for (;;) {
      const state = await callJson<{ status: string; items: Array<{ bytes: number; key: string | null }> }>(agent, `${gateway.url}/sessions/${id}/import`, {
        headers: { cookie: user.jar.header, accept: 'application/json' },
      });
      const copied = state.items.reduce((sum, item) => sum + item.bytes, 0);
      if (copied > 0) copying(copied);
      if (state.status === 'done' || state.status === 'partial' || state.status === 'failed') {
        bytes += copied;
        // The session's own folder only: the other importers' copies are under way beside it.
        const key = state.items.find((item) => item.key)?.key;
        if (key) await rm(join(folder, dirname(key)), { recursive: true, force: true });
        return;
      }
      if (!running) {
        bytes += copied;
        await call(agent, `${gateway.url}/sessions/${id}`, {
          method: 'DELETE', headers: { cookie: user.jar.header, accept: 'application/json', origin: gateway.url, 'x-csrf-token': user.csrfToken },
        });
        return;
      }
      await sleep(POLL_MS);
    }
  };

  return {
    async start() {
      running = true;
      bytes = 0;
      const firstCopying = importers.map(() => Promise.withResolvers<void>());
      loops = importers.map(async (user, index) => {
        const itemId = await largeVideoOf(user);
        let first = true;
        const copying = (copied: number) => {
          if (!first) return;
          first = false;
          bytes -= copied; // copied before the round: not the round's
          firstCopying[index]!.resolve();
        };
        while (running) await importOnce(user, itemId, copying);
      });
      await Promise.all(firstCopying.map((copying) => copying.promise));
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      return bytes;
    },
  };
}
