/**
 * Fair share as two people meet it: Alice has picked `backlog` items whose
 * bytes Google serves slowly (the emulator's mediaBytesPerSecond), and while
 * her import runs Bob picks one. Measured: from Bob's pick until his import is
 * done, against one item's copy time (from Alice's own progress just before)
 * and the pollInterval (how long the gateway may take to notice a pick).
 * With fair share Bob waits for the copies already running, then his own
 * copy, never for Alice's backlog: the target is two items' copy time plus
 * one pollInterval. Without it he would wait for all of Alice's items.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, callJson, pool } from './http-call.ts';
import { freePort, GATEWAY_CLIENT, spawnReady, startGateway, stop, uniqueKeyPrefix } from './processes.ts';
import { createGatewaySession, DEMO_ACCOUNTS, signInToGateway, type GatewayUser } from './sign-in.ts';

export interface FairShareSettings {
  /** Alice's items, waiting while Bob's import runs. */
  backlog: number;
  itemBytes: number;
  /** How fast Google serves each download. */
  mediaBytesPerSecond: number;
  concurrency: number;
  pollIntervalMs: number;
}

export interface FairShareResult {
  /** From Bob's pick until his import was done. */
  bobSeconds: number;
  /** One item's copy, from Alice's progress: concurrency × the time per item done. */
  itemSeconds: number;
  pollIntervalSeconds: number;
  /** Alice's items done while Bob's import ran, and hers left when it was done. */
  aliceDoneMeanwhile: number;
  aliceLeft: number;
}

const POLL_IMPORT_MS = 50;

export async function measureFairShare(settings: FairShareSettings, script: (name: string) => string): Promise<FairShareResult> {
  const port = await freePort();
  const emulator = await spawnReady(script('emulator-process.ts'), {
    LARGE_VIDEO_BYTES: String(settings.itemBytes),
    LARGE_VIDEO_COUNT: String(settings.backlog),
    LIBRARY_SIZE: '0',
    POLL_INTERVAL_SECONDS: String(settings.pollIntervalMs / 1000),
    EMULATOR_CLIENTS: JSON.stringify([{ ...GATEWAY_CLIENT, redirectUris: [`http://127.0.0.1:${port}/auth/google/callback`] }]),
  });
  const root = await mkdtemp(join(tmpdir(), 'ppg-bench-fair-share-'));
  const agent = pool();
  const gateway = await startGateway(port, emulator.url, 'memory', uniqueKeyPrefix(), {
    IMPORT_DESTINATION: `file:${root}`, IMPORT_CONCURRENCY: String(settings.concurrency),
  });
  const importOf = (user: GatewayUser, id: string) => callJson<{ status: string; items: Array<{ status: string }> }>(agent, `${gateway.url}/sessions/${id}/import`, {
    headers: { cookie: user.jar.header, accept: 'application/json' },
  });
  const pick = (id: string, count: number) => call(agent, `${emulator.url}/__emulator/sessions/${id}/pick`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count }),
  });
  const doneOf = async (user: GatewayUser, id: string) => (await importOf(user, id)).items.filter((item) => item.status === 'done').length;
  try {
    const [alice, bob] = [await signInToGateway(agent, gateway.url, DEMO_ACCOUNTS[0]), await signInToGateway(agent, gateway.url, DEMO_ACCOUNTS[1])];
    const [alicesSession, bobsSession] = [await createGatewaySession(agent, gateway.url, alice), await createGatewaySession(agent, gateway.url, bob)];
    await call(agent, `${emulator.url}/__emulator/knobs`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mediaBytesPerSecond: settings.mediaBytesPerSecond }),
    });
    await pick(alicesSession, settings.backlog);
    // Alice's copies in a steady state: how long one item takes, from how fast hers go.
    while ((await doneOf(alice, alicesSession)) < settings.concurrency) await sleep(POLL_IMPORT_MS);
    const [windowStart, doneAtStart] = [performance.now(), await doneOf(alice, alicesSession)];
    while ((await doneOf(alice, alicesSession)) < doneAtStart + 2 * settings.concurrency) await sleep(POLL_IMPORT_MS);
    const doneAtEnd = await doneOf(alice, alicesSession);
    const itemSeconds = (settings.concurrency * (performance.now() - windowStart)) / 1000 / (doneAtEnd - doneAtStart);

    const aliceBefore = await doneOf(alice, alicesSession);
    const started = performance.now();
    await pick(bobsSession, 1);
    while ((await importOf(bob, bobsSession)).status !== 'done') await sleep(POLL_IMPORT_MS);
    const bobSeconds = (performance.now() - started) / 1000;
    const aliceAfter = await doneOf(alice, alicesSession);
    return {
      bobSeconds: +bobSeconds.toFixed(2),
      itemSeconds: +itemSeconds.toFixed(2),
      pollIntervalSeconds: settings.pollIntervalMs / 1000,
      aliceDoneMeanwhile: aliceAfter - aliceBefore,
      aliceLeft: settings.backlog - aliceAfter,
    };
  } finally {
    agent.destroy();
    await Promise.all([gateway, emulator].map(stop));
    await rm(root, { recursive: true, force: true });
  }
}
