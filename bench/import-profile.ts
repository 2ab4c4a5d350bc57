/**
 * Imports as users meet them: a person picks 20 large videos in one session,
 * and the gateway copies them into its destination on its own. Measured from
 * the pick until GET /sessions/{id}/import says done, for a folder (`file:`)
 * and a bucket (S3, fauxqs in a process of its own), beside the plain copy
 * (bench/plain-copy.ts): a script that follows the same kind of session with a
 * bearer token of the same account and downloads the same items, at the same
 * concurrency, straight into the same kind of destination. Both discover the
 * pick by sessions.get once per pollInterval, starting when their session is
 * created, and the pick comes half an interval past a poll, so both wait about
 * as long to notice it; the emulator's log says how long each did.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectsCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { call, callJson, pool } from './http-call.ts';
import { clearRequests } from './emulator-log.ts';
import { cpuMs, eventLoopCpuMs, freePort, GATEWAY_CLIENT, peakRssBytes, resetPeakRss, rssBytes, spawnReady, startGateway, stop, uniqueKeyPrefix, type Running } from './processes.ts';
import { createGatewaySession, DEMO_ACCOUNTS, directAccessToken, signInToGateway, type GatewayUser } from './sign-in.ts';
import type { RequestLogEntry } from '@photos-picker-gateway/google-emulator';

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const BUCKET = 'bench-imports';
/** fauxqs takes any credentials; the SDK's default chain, in the gateway as in the plain copy, reads these. */
const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' };
const DIRECT_CLIENT = { clientId: 'bench-import-direct', clientSecret: 'bench-import-direct-secret', redirectUri: 'http://127.0.0.1/direct' };
const POLL_IMPORT_MS = 50;

export type ImportDestination = 'file' | 's3';
/** The gateway, the plain copy, and the plain copy that also takes each item's SHA-256 as the gateway must. */
type WayName = 'gateway' | 'plain' | 'plainSha256';

export interface ImportSettings {
  items: number;
  itemBytes: number;
  /** IMPORT_CONCURRENCY of the gateway, and the plain copy's downloads at once. */
  concurrency: number;
  rounds: number;
  destinations: readonly ImportDestination[];
  /** Google's pollInterval at the emulator; the pick comes half of it past a poll. */
  pollIntervalMs: number;
}

export interface ImportRound {
  way: WayName;
  round: number;
  /** From the pick until the import was done (the gateway) or every item written (the plain copy). */
  seconds: number;
  /** From the pick until the first sessions.get that saw it. */
  noticedSeconds: number;
  peakRssMiB: number;
  cpuMs: number;
  /** The main thread's share of cpuMs: for the gateway, what the import took of the event loop that serves requests. */
  eventLoopCpuMs: number;
  /** The S3 server's CPU time over the round's wall time: near 1, it was the bottleneck. */
  s3ServerBusy?: number;
}

export interface DestinationResult {
  gatewayIdleRssMiB: number;
  rounds: ImportRound[];
  /** Best of the rounds, MiB/s over the time from the pick. */
  gatewayMiBps: number;
  plainMiBps: number;
  /** The plain copy that also hashes: how much of the gap the SHA-256 alone makes. */
  plainSha256MiBps: number;
  /** gateway / plain throughput, from the pick. */
  ratio: number;
  /** The same from when each noticed the pick: the copying alone. */
  copyRatio: number;
  gatewayPeakRssMiB: number;
  plainPeakRssMiB: number;
  cpuMsPerGiB: Record<WayName, number>;
  /** The gateway's event loop's CPU per GiB: what the copies leave of it to the requests. */
  eventLoopCpuMsPerGiB: number;
}

export type ImportResult = Partial<Record<ImportDestination, DestinationResult>>;

interface Destinations {
  fileRoot: string;
  s3?: { endpoint: string; client: S3Client };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function emptyFolder(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

async function emptyPrefix(client: S3Client, prefix: string): Promise<void> {
  for await (const page of paginateListObjectsV2({ client }, { Bucket: BUCKET, Prefix: prefix })) {
    const objects = (page.Contents ?? []).map(({ Key }) => ({ Key }));
    if (objects.length) await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: objects } }));
  }
}

/** Seconds from the pick until the first sessions.get of the session that answered after it. */
async function noticedAfter(agent: http.Agent, emulatorUrl: string, sessionId: string, pickedAt: number): Promise<number> {
  const polls = await callJson<RequestLogEntry[]>(agent, `${emulatorUrl}/__emulator/requests?method=GET&path=/v1/sessions/${sessionId}`);
  const first = polls.find((entry) => entry.at >= pickedAt);
  return first ? (first.at - pickedAt) / 1000 : Number.NaN;
}

interface RoundContext {
  emulatorUrl: string;
  agent: http.Agent;
  settings: ImportSettings;
  expectedBytes: number;
  /** The S3 server's process, when it is measured. */
  s3Server?: Running;
}

/** Creates a session, picks in it half an interval past its first poll, and measures until `finished` resolves. */
async function measureRound(context: RoundContext, to: ImportDestination, process: Running, create: () => Promise<{ sessionId: string; finished: () => Promise<number> }>) {
  const { emulatorUrl, agent, settings } = context;
  const s3Server = to === 's3' ? context.s3Server : undefined;
  await clearRequests(agent, emulatorUrl);
  const { sessionId, finished } = await create();
  await sleep(settings.pollIntervalMs * 1.5);
  await resetPeakRss(process.pid);
  const cpuBefore = await cpuMs(process.pid);
  const eventLoopBefore = await eventLoopCpuMs(process.pid);
  const serverCpuBefore = s3Server ? await cpuMs(s3Server.pid) : 0;
  const pickedAt = Date.now();
  const started = performance.now();
  await call(agent, `${emulatorUrl}/__emulator/sessions/${sessionId}/pick`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: settings.items }),
  });
  const bytes = await finished();
  const seconds = (performance.now() - started) / 1000;
  if (bytes !== context.expectedBytes) throw new Error(`${sessionId}: ${bytes} bytes copied, not ${context.expectedBytes}`);
  return {
    seconds: +seconds.toFixed(3),
    noticedSeconds: +(await noticedAfter(agent, emulatorUrl, sessionId, pickedAt)).toFixed(3),
    peakRssMiB: +((await peakRssBytes(process.pid)) / MIB).toFixed(1),
    cpuMs: (await cpuMs(process.pid)) - cpuBefore,
    eventLoopCpuMs: (await eventLoopCpuMs(process.pid)) - eventLoopBefore,
    ...(s3Server ? { s3ServerBusy: +(((await cpuMs(s3Server.pid)) - serverCpuBefore) / (seconds * 1000)).toFixed(2) } : {}),
  };
}

function gatewayRound(context: RoundContext, to: ImportDestination, gateway: Running, user: GatewayUser) {
  const { agent } = context;
  return measureRound(context, to, gateway, async () => {
    const id = await createGatewaySession(agent, gateway.url, user);
    return {
      sessionId: id,
      async finished() {
        for (;;) {
          const state = await callJson<{ status: string; items: Array<{ bytes: number; error: string | null }> }>(agent, `${gateway.url}/sessions/${id}/import`, {
            headers: { cookie: user.jar.header, accept: 'application/json' },
          });
          if (state.status === 'done') return state.items.reduce((sum, item) => sum + item.bytes, 0);
          if (state.status === 'partial' || state.status === 'failed') throw new Error(`the import ended ${state.status}: ${state.items.find((item) => item.error)?.error}`);
          await sleep(POLL_IMPORT_MS);
        }
      },
    };
  });
}

function plainRound(context: RoundContext, plain: Running, token: string, to: ImportDestination, digest: boolean) {
  const { agent, emulatorUrl } = context;
  return measureRound(context, to, plain, async () => {
    const { id } = await callJson<{ id: string }>(agent, `${emulatorUrl}/v1/sessions`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}',
    });
    // Sent now, answered once every item is written: the plain copy starts following the session at once.
    const copied = callJson<{ bytes: number }>(agent, `${plain.url}/copy`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sessionId: id, to, folder: `plain/${id}`, digest }),
    });
    copied.catch(() => undefined); // awaited by finished(); a failure before then is not unhandled
    return { sessionId: id, finished: async () => (await copied).bytes };
  });
}

const bestOf = (rounds: readonly ImportRound[], way: WayName, of: (round: ImportRound) => number) =>
  Math.min(...rounds.filter((round) => round.way === way).map(of));

function summary(rounds: ImportRound[], gatewayIdleRssMiB: number, settings: ImportSettings): DestinationResult {
  const mib = (settings.items * settings.itemBytes) / MIB;
  const gatewaySeconds = bestOf(rounds, 'gateway', (r) => r.seconds);
  const plainSeconds = bestOf(rounds, 'plain', (r) => r.seconds);
  const copying = (way: WayName) => bestOf(rounds, way, (r) => r.seconds - r.noticedSeconds);
  const peak = (way: WayName) => Math.max(...rounds.filter((r) => r.way === way).map((r) => r.peakRssMiB));
  const perGiB = (way: WayName, of: (round: ImportRound) => number) => {
    const own = rounds.filter((r) => r.way === way);
    return Math.round(own.reduce((sum, r) => sum + of(r), 0) / ((own.length * settings.items * settings.itemBytes) / GIB));
  };
  const cpuPerGiB = (way: WayName) => perGiB(way, (r) => r.cpuMs);
  return {
    gatewayIdleRssMiB,
    rounds,
    gatewayMiBps: Math.round(mib / gatewaySeconds),
    plainMiBps: Math.round(mib / plainSeconds),
    plainSha256MiBps: Math.round(mib / bestOf(rounds, 'plainSha256', (r) => r.seconds)),
    ratio: +(plainSeconds / gatewaySeconds).toFixed(2),
    copyRatio: +(copying('plain') / copying('gateway')).toFixed(2),
    gatewayPeakRssMiB: peak('gateway'),
    plainPeakRssMiB: peak('plain'),
    cpuMsPerGiB: { gateway: cpuPerGiB('gateway'), plain: cpuPerGiB('plain'), plainSha256: cpuPerGiB('plainSha256') },
    eventLoopCpuMsPerGiB: perGiB('gateway', (r) => r.eventLoopCpuMs),
  };
}

async function measureDestination(to: ImportDestination, port: number, context: RoundContext, plain: Running, token: string, destinations: Destinations): Promise<DestinationResult> {
  const { emulatorUrl, agent, settings } = context;
  const gatewayRoot = join(destinations.fileRoot, 'gateway');
  const env: Record<string, string> = to === 'file'
    ? { IMPORT_DESTINATION: `file:${gatewayRoot}` }
    : { IMPORT_DESTINATION: `s3://${BUCKET}/gateway`, S3_ENDPOINT: destinations.s3!.endpoint, ...S3_CREDENTIALS };
  const gateway = await startGateway(port, emulatorUrl, 'memory', uniqueKeyPrefix(), { ...env, IMPORT_CONCURRENCY: String(settings.concurrency) });
  const clean = (way: WayName) => to === 'file'
    ? emptyFolder(way === 'gateway' ? gatewayRoot : join(destinations.fileRoot, 'plain'))
    : emptyPrefix(destinations.s3!.client, way === 'gateway' ? 'gateway/' : 'plain/');
  try {
    const user = await signInToGateway(agent, gateway.url, DEMO_ACCOUNTS[0]);
    const gatewayIdleRssMiB = +((await rssBytes(gateway.pid)) / MIB).toFixed(1);
    const rounds: ImportRound[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      for (const way of ['gateway', 'plain', 'plainSha256'] as const) {
        const result = way === 'gateway' ? await gatewayRound(context, to, gateway, user) : await plainRound(context, plain, token, to, way === 'plainSha256');
        await clean(way);
        rounds.push({ way, round, ...result });
        console.log(`  ${to} ${way} round ${round + 1}: ${result.seconds} s from the pick (noticed after ${result.noticedSeconds} s), peak RSS ${result.peakRssMiB} MiB`
          + (result.s3ServerBusy === undefined ? '' : `, S3 server busy ${result.s3ServerBusy}`));
      }
    }
    return summary(rounds, gatewayIdleRssMiB, settings);
  } finally {
    await stop(gateway);
  }
}

/**
 * The import part: its own emulator (a library of `items` synthetic videos of `itemBytes`), the plain copy, fauxqs
 * when S3 is measured, and a gateway per destination, each started on a free port.
 */
export async function measureImports(settings: ImportSettings, script: (name: string) => string): Promise<ImportResult> {
  // The gateways' redirect URIs are registered with the emulator as it starts, so their ports are chosen first.
  const ports = new Map(await Promise.all(settings.destinations.map(async (to) => [to, await freePort()] as const)));
  const emulator = await spawnReady(script('emulator-process.ts'), {
    LARGE_VIDEO_BYTES: String(settings.itemBytes),
    LARGE_VIDEO_COUNT: String(settings.items),
    LIBRARY_SIZE: '0',
    POLL_INTERVAL_SECONDS: String(settings.pollIntervalMs / 1000),
    EMULATOR_CLIENTS: JSON.stringify([
      { ...GATEWAY_CLIENT, redirectUris: [...ports.values()].map((port) => `http://127.0.0.1:${port}/auth/google/callback`) },
      { clientId: DIRECT_CLIENT.clientId, clientSecret: DIRECT_CLIENT.clientSecret, redirectUris: [DIRECT_CLIENT.redirectUri] },
    ]),
  });
  const agent = pool();
  const fileRoot = await mkdtemp(join(tmpdir(), 'ppg-bench-imports-'));
  const s3Process = settings.destinations.includes('s3') ? await spawnReady(script('s3-process.ts'), { BUCKET }) : undefined;
  const s3 = s3Process && { endpoint: s3Process.url, client: new S3Client({ region: 'us-east-1', endpoint: s3Process.url, forcePathStyle: true, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } }) };
  try {
    const token = await directAccessToken(agent, emulator.url, DIRECT_CLIENT, DEMO_ACCOUNTS[0]);
    const plain = await spawnReady(script('plain-copy.ts'), {
      EMULATOR_URL: emulator.url, TOKEN: token, CONCURRENCY: String(settings.concurrency), FILE_ROOT: fileRoot,
      ...(s3 ? { S3_ENDPOINT: s3.endpoint, S3_BUCKET: BUCKET, ...S3_CREDENTIALS } : {}),
    });
    const context: RoundContext = {
      emulatorUrl: emulator.url, agent, settings, expectedBytes: settings.items * settings.itemBytes, ...(s3Process ? { s3Server: s3Process } : {}),
    };
    const result: ImportResult = {};
    for (const to of settings.destinations) result[to] = await measureDestination(to, ports.get(to)!, context, plain, token, { fileRoot, ...(s3 ? { s3 } : {}) });
    await stop(plain);
    return result;
  } finally {
    agent.destroy();
    s3?.client.destroy();
    await rm(fileRoot, { recursive: true, force: true });
    await Promise.all([emulator, ...(s3Process ? [s3Process] : [])].map(stop));
  }
}
