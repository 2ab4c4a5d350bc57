/**
 * `npm run bench`: the gateway's performance as its users meet it, against
 * the Google emulator it fronts, each figure beside its reference taken in the
 * same run (docs/benchmarks.md says what each part measures and why).
 *
 *  - media: a 1 GiB download and 20 concurrent 50 MiB ones, gateway vs bare
 *    proxy; the gateway's peak RSS; how soon a hang-up stops the read from Google.
 *  - import: 20 picked videos of 50 MiB imported by the gateway into a folder
 *    and into S3, against a plain script copying the same items the same way;
 *    the gateway's peak RSS while it imports.
 *  - fairshare: while Alice's 500 slowly served items import, how long Bob's
 *    1-item import takes, against one item's copy time and the pollInterval.
 *  - api: 500 signed-in users polling their pending Picker session once per
 *    pollInterval plus 10 creations a second, the added latency over calling
 *    the emulator directly, with the memory store and with Redis.
 *  - apiimport: the same API profile on a gateway with imports on, idle and
 *    while 4 people import a 1 GiB video each (served at 25 MiB/s), again
 *    and again: one process (memory store), and a web process beside a
 *    worker (Redis).
 *
 * Settings: BENCH_PARTS (media,import,fairshare,api,apiimport), BENCH_STORES (memory,redis),
 * BENCH_IMPORT_LAYOUTS (all,split),
 * BENCH_SECONDS (length of an API round, 10), BENCH_IMPORT_TO (file,s3),
 * IMPORT_CONCURRENCY (4, the gateway's and the plain copy's). The table goes
 * to stdout and everything to bench/results.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import { accountsOfUsers, createDirectSessions, measureApiProfile, type ProfileResult, type ProfileSettings } from './api-profile.ts';
import type http from 'node:http';
import { call, inParallel, pool } from './http-call.ts';
import { measureFairShare, type FairShareResult, type FairShareSettings } from './fair-share.ts';
import { measureImports, type ImportDestination, type ImportResult, type ImportSettings } from './import-profile.ts';
import { measureMedia, type MediaResult } from './media.ts';
import { buildGateway, freePort, GATEWAY_CLIENT, spawnReady, startGateway, stop, stopAll, uniqueKeyPrefix, type Running } from './processes.ts';
import { importLoad } from './import-load.ts';
import { apiRows, apiWhileImportingRows, fairShareRows, importRows, mediaRows, table, type Row } from './report.ts';
import { DEMO_ACCOUNTS, directAccessToken, loadTestAccount, signInToGateway } from './sign-in.ts';

type Store = 'memory' | 'redis';
const PARTS = new Set((process.env.BENCH_PARTS ?? 'media,import,fairshare,api,apiimport').split(','));
/** The people importing in the background of the `apiimport` part, each its own download. */
const IMPORTERS = 4;
/** How fast the emulator serves each download during the `apiimport` part: a fast server's share of Google. */
const IMPORT_MEDIA_BYTES_PER_SECOND = 25 * 1024 ** 2;
/** The `apiimport` part's deployments: one process that serves and copies, and a web process beside a worker. */
type Layout = 'all' | 'split';
const LAYOUTS = (process.env.BENCH_IMPORT_LAYOUTS ?? 'all,split').split(',') as Layout[];
const STORES = (process.env.BENCH_STORES ?? 'memory,redis').split(',') as Store[];
const SETTINGS: ProfileSettings = {
  users: 500,
  createsPerSecond: 10,
  pollIntervalMs: 1000,
  roundSeconds: Number(process.env.BENCH_SECONDS ?? 10),
  rounds: 3,
  setupConcurrency: 16,
};
const IMPORT_SETTINGS: ImportSettings = {
  items: 20,
  itemBytes: 50 * 1024 ** 2,
  concurrency: Number(process.env.IMPORT_CONCURRENCY ?? 4),
  rounds: 2,
  destinations: (process.env.BENCH_IMPORT_TO ?? 'file,s3').split(',') as ImportDestination[],
  pollIntervalMs: 1000,
};
const FAIR_SHARE_SETTINGS: FairShareSettings = {
  backlog: 500,
  itemBytes: 1024 ** 2,
  mediaBytesPerSecond: 2 * 1024 ** 2,
  concurrency: Number(process.env.IMPORT_CONCURRENCY ?? 4),
  pollIntervalMs: 1000,
};
const DIRECT_CLIENT = { clientId: 'bench-direct', clientSecret: 'bench-direct-secret', redirectUri: 'http://127.0.0.1/direct' };
const REDIS_URL = 'redis://127.0.0.1:6379';
const script = (name: string) => new URL(`./${name}`, import.meta.url).pathname;

/** The emulator's pace per media download (0: as fast as it can). */
async function setMediaRate(agent: http.Agent, emulatorUrl: string, bytesPerSecond: number): Promise<void> {
  await call(agent, `${emulatorUrl}/__emulator/knobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mediaBytesPerSecond: bytesPerSecond }) });
}

/** Deletes what a gateway wrote to the shared Redis under its prefix. */
async function removeKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) if (keys.length) await redis.unlink(...keys);
  redis.disconnect();
}

async function main() {
  const started = performance.now();
  // What else runs on the machine: a load average above its cores before the run starts is other people's work.
  const loadBefore = loadavg()[0]!;
  buildGateway();
  const ports: Record<Store | 'importing', number> = { memory: await freePort(), redis: await freePort(), importing: await freePort() };
  const emulator = await spawnReady(script('emulator-process.ts'), {
    LARGE_VIDEO_BYTES: String(1024 ** 3),
    EXTRA_ACCOUNTS: String(SETTINGS.users + IMPORTERS),
    POLL_INTERVAL_SECONDS: String(SETTINGS.pollIntervalMs / 1000),
    EMULATOR_CLIENTS: JSON.stringify([
      { ...GATEWAY_CLIENT, redirectUris: Object.values(ports).map((port) => `http://127.0.0.1:${port}/auth/google/callback`) },
      { clientId: DIRECT_CLIENT.clientId, clientSecret: DIRECT_CLIENT.clientSecret, redirectUris: [DIRECT_CLIENT.redirectUri] },
    ]),
  });
  const bareProxy = await spawnReady(script('bare-proxy-process.ts'), { UPSTREAM: emulator.url });
  const agent = pool();
  const apiParts = PARTS.has('api') || PARTS.has('apiimport');
  const accounts = [DEMO_ACCOUNTS[0], ...(apiParts ? accountsOfUsers(SETTINGS) : [])];
  const tokens = new Map(await inParallel(accounts, SETTINGS.setupConcurrency, async (account) =>
    [account, await directAccessToken(agent, emulator.url, DIRECT_CLIENT, account)] as const));

  const rows: Row[] = [];
  let media: MediaResult | undefined;
  const api: Partial<Record<Store, ProfileResult>> = {};
  let memoryGateway: Running | undefined;
  if (PARTS.has('media')) {
    console.log('media');
    memoryGateway = await startGateway(ports.memory, emulator.url, 'memory', uniqueKeyPrefix());
    const user = await signInToGateway(agent, memoryGateway.url, DEMO_ACCOUNTS[0]);
    media = await measureMedia({ emulatorUrl: emulator.url, gateway: memoryGateway, bareProxy, user, token: tokens.get(DEMO_ACCOUNTS[0])! });
    rows.push(...mediaRows(media));
  }
  let imports: ImportResult | undefined;
  if (PARTS.has('import')) {
    console.log('import');
    imports = await measureImports(IMPORT_SETTINGS, script);
    rows.push(...importRows(imports, `${IMPORT_SETTINGS.items} × ${IMPORT_SETTINGS.itemBytes / 1024 ** 2} MiB at c${IMPORT_SETTINGS.concurrency}`));
  }
  let fairShare: FairShareResult | undefined;
  if (PARTS.has('fairshare')) {
    console.log('fair share');
    fairShare = await measureFairShare(FAIR_SHARE_SETTINGS, script);
    rows.push(...fairShareRows(fairShare, FAIR_SHARE_SETTINGS.backlog));
  }
  const directSessions = apiParts ? await createDirectSessions(emulator.url, tokens, SETTINGS) : [];
  if (PARTS.has('api')) {
    for (const store of STORES) {
      console.log(`api, ${store} store`);
      const keyPrefix = uniqueKeyPrefix();
      const gateway = store === 'memory' && memoryGateway ? memoryGateway : await startGateway(ports[store], emulator.url, store, keyPrefix);
      try {
        api[store] = await measureApiProfile({ emulatorUrl: emulator.url, bareProxy, gateway, tokens, directSessions }, SETTINGS);
      } finally {
        await stop(gateway);
        if (store === 'redis') await removeKeys(keyPrefix);
      }
      rows.push(...apiRows(store, api[store]!));
    }
  }
  const apiWhileImporting: Partial<Record<Layout, ProfileResult>> = {};
  if (PARTS.has('apiimport')) {
    // Google's media host serves a download at a network's pace, not loopback's: an import paced so leaves the cores
    // to the requests as a real one would, where one at loopback speed would take both cores whatever the design.
    await setMediaRate(agent, emulator.url, IMPORT_MEDIA_BYTES_PER_SECOND);
    for (const layout of LAYOUTS) {
      console.log(`api while importing, ${layout === 'all' ? 'one process (memory store)' : 'a web process beside a worker (Redis)'}, ${IMPORTERS} imports at once`);
      const folder = mkdtempSync(join(tmpdir(), 'ppg-bench-api-imports-'));
      const keyPrefix = uniqueKeyPrefix();
      const imports = { IMPORT_DESTINATION: `file:${folder}`, IMPORT_CONCURRENCY: String(IMPORTERS) };
      const gateway = await startGateway(ports.importing, emulator.url, layout === 'all' ? 'memory' : 'redis', keyPrefix, {
        ...imports, ...(layout === 'split' ? { ROLE: 'web' } : {}),
      });
      // The worker copies; the web process, the one measured, serves and queues.
      const worker = layout === 'split' ? await startGateway(await freePort(), emulator.url, 'redis', keyPrefix, { ...imports, ROLE: 'worker' }) : undefined;
      try {
        const result = await measureApiProfile({
          emulatorUrl: emulator.url, bareProxy, gateway, tokens, directSessions,
          importLoad: async (setupAgent) => importLoad({
            agent: setupAgent, emulatorUrl: emulator.url, gateway, folder,
            importers: await Promise.all(Array.from({ length: IMPORTERS }, (_, i) => signInToGateway(setupAgent, gateway.url, loadTestAccount(SETTINGS.users + i)))),
          }),
        }, SETTINGS);
        apiWhileImporting[layout] = result;
        rows.push(...apiWhileImportingRows(result, layout, IMPORTERS));
      } finally {
        await Promise.all([gateway, ...(worker ? [worker] : [])].map(stop));
        if (layout === 'split') await removeKeys(keyPrefix);
        rmSync(folder, { recursive: true, force: true });
      }
    }
    await setMediaRate(agent, emulator.url, 0);
  }
  agent.destroy();
  await stopAll();

  const durationSeconds = Math.round((performance.now() - started) / 1000);
  const loadAverage = { before: +loadBefore.toFixed(1), after: +loadavg()[0]!.toFixed(1) };
  console.log(`\n${table(rows)}\n\n${rows.filter((row) => row.met === false).length} of ${rows.filter((row) => row.met !== null).length} targets not met;`
    + ` ${durationSeconds} s; 1-minute load average ${loadAverage.before} before, ${loadAverage.after} after, on ${availableParallelism()} cores`);
  const results = { at: new Date().toISOString(), durationSeconds, loadAverage, cores: availableParallelism(), settings: SETTINGS, importSettings: IMPORT_SETTINGS, fairShareSettings: FAIR_SHARE_SETTINGS, table: rows, media, imports, fairShare, api, apiWhileImporting };
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
}

main().catch(async (error: unknown) => {
  console.error(error);
  await stopAll();
  process.exit(1);
});
