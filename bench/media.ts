/**
 * Media as users meet it: a 1 GiB video downloaded whole, and 20 different
 * 50 MiB ranges of it downloaded at once, through the gateway, through the
 * bare proxy (the target to match) and straight from the emulator (for
 * information); the gateway's peak RSS while it streams; and how soon a
 * client that hangs up stops the gateway's read from Google.
 */
import http from 'node:http';
import { call, callJson, pool } from './http-call.ts';
import { clearRequests, endedAt, requests } from './emulator-log.ts';
import { cpuMs, peakRssBytes, resetPeakRss, rssBytes, type Running } from './processes.ts';
import { createGatewaySession, type GatewayUser } from './sign-in.ts';

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const ROUNDS = 2;
const CONCURRENT = 20;
const ABORT_AFTER_BYTES = 4 * MIB;
const ABORT_TRIES = 3;

export interface MediaTargets {
  emulatorUrl: string;
  gateway: Running;
  bareProxy: Running;
  /** Signed in to the gateway as the account `token` belongs to. */
  user: GatewayUser;
  token: string;
}

export interface TransferResult {
  /** Best of the rounds, in MiB/s. */
  directMiBps: number;
  bareProxyMiBps: number;
  gatewayMiBps: number;
  /** The gateway process's peak RSS during its rounds. */
  gatewayPeakRssMiB: number;
  cpuMsPerGiB: { gateway: number; bareProxy: number };
}

export interface MediaResult {
  /** The gateway's RSS before its first download, signed in and idle: what the peaks grow from. */
  gatewayIdleRssMiB: number;
  whole1GiB: TransferResult;
  concurrent20x50MiB: TransferResult;
  /** Per try: ms from the client's hang-up until the emulator saw the gateway's media request closed (null: never). */
  abortStopMs: Array<number | null>;
}

interface Way { name: 'direct' | 'bareProxy' | 'gateway'; url: string; headers: Record<string, string>; agent: http.Agent; pid?: number }

async function findLargeVideo(targets: MediaTargets, agent: http.Agent) {
  const { gateway, user, emulatorUrl, token } = targets;
  const id = await createGatewaySession(agent, gateway.url, user);
  await call(agent, `${emulatorUrl}/__emulator/sessions/${id}/pick`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 25 }) });
  for (let polls = 0; ; polls++) {
    const { status } = await callJson<{ status: string }>(agent, `${gateway.url}/sessions/${id}`, { headers: { cookie: user.jar.header, accept: 'application/json' } });
    if (status === 'complete') break;
    if (polls === 30) throw new Error(`the picked session stayed ${status} at the gateway`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const listed = await callJson<{ mediaItems: Array<{ id: string; mediaFile: { baseUrl: string; filename: string } }> }>(
    agent, `${emulatorUrl}/v1/mediaItems?sessionId=${id}&pageSize=100`, { headers: { authorization: `Bearer ${token}` } });
  const video = listed.mediaItems.find((item) => item.mediaFile.filename === 'large-video.mp4');
  if (!video) throw new Error('the emulator has no large video');
  return { sessionId: id, itemId: video.id, baseUrl: video.mediaFile.baseUrl };
}

/** Downloads every range at once (undefined: the whole file); returns MiB/s over the wall time, with the process's CPU and peak RSS. */
async function transfer(way: Way, ranges: ReadonlyArray<string | undefined>, expectedBytes: number) {
  if (way.pid) await resetPeakRss(way.pid);
  const cpuBefore = way.pid ? await cpuMs(way.pid) : 0;
  const started = performance.now();
  const answers = await Promise.all(ranges.map((range) => call(way.agent, way.url, { headers: range ? { ...way.headers, range } : way.headers })));
  const seconds = (performance.now() - started) / 1000;
  const bytes = answers.reduce((sum, answer) => sum + answer.bytes, 0);
  const refused = answers.find((answer) => answer.status !== 200 && answer.status !== 206);
  if (refused || bytes !== expectedBytes) throw new Error(`${way.name}: ${refused ? `answered ${refused.status}` : `got ${bytes} bytes, not ${expectedBytes}`}`);
  return {
    MiBps: bytes / MIB / seconds,
    cpuMs: way.pid ? (await cpuMs(way.pid)) - cpuBefore : 0,
    peakRss: way.pid ? await peakRssBytes(way.pid) : 0,
  };
}

async function compare(ways: readonly Way[], ranges: ReadonlyArray<string | undefined>, expectedBytes: number, label: string): Promise<TransferResult> {
  const best = { direct: 0, bareProxy: 0, gateway: 0 };
  const cpu = { bareProxy: 0, gateway: 0 };
  let peakRss = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const way of ways) {
      const result = await transfer(way, ranges, expectedBytes);
      best[way.name] = Math.max(best[way.name], result.MiBps);
      if (way.name !== 'direct') cpu[way.name] += result.cpuMs;
      if (way.name === 'gateway') peakRss = Math.max(peakRss, result.peakRss);
      console.log(`  ${label} ${way.name} round ${round + 1}: ${Math.round(result.MiBps)} MiB/s`);
    }
  }
  const gib = (ROUNDS * expectedBytes) / GIB;
  return {
    directMiBps: Math.round(best.direct),
    bareProxyMiBps: Math.round(best.bareProxy),
    gatewayMiBps: Math.round(best.gateway),
    gatewayPeakRssMiB: +(peakRss / MIB).toFixed(1),
    cpuMsPerGiB: { gateway: Math.round(cpu.gateway / gib), bareProxy: Math.round(cpu.bareProxy / gib) },
  };
}

/** Starts a download and hangs up once `bytes` have arrived; resolves with the moment of the hang-up (wall clock). */
function hangUpAfter(way: Way, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(way.url, { headers: way.headers, agent: false }, (response) => {
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received < bytes) return;
        const at = Date.now();
        request.destroy();
        resolve(at);
      });
      response.on('end', () => reject(new Error('the download ended before the hang-up')));
    });
    request.on('error', reject);
  });
}

/** ms from the client's hang-up until the emulator's media request through the gateway ended; null if it had not within 5 s. */
async function upstreamStopMs(targets: MediaTargets, gateway: Way, agent: http.Agent): Promise<number | null> {
  await clearRequests(agent, targets.emulatorUrl);
  const hungUpAt = await hangUpAfter(gateway, ABORT_AFTER_BYTES);
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const media = (await requests(agent, targets.emulatorUrl)).find((entry) => entry.kind === 'media');
    const ended = media && endedAt(media);
    // A read that ran on to the end of the file did not stop: only a request closed before its end counts.
    if (ended !== undefined) return media!.aborted ? ended - hungUpAt : null;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return null;
}

export async function measureMedia(targets: MediaTargets): Promise<MediaResult> {
  const setup = pool();
  const video = await findLargeVideo(targets, setup);
  const gatewayIdleRssMiB = +((await rssBytes(targets.gateway.pid)) / MIB).toFixed(1);
  const direct = `${video.baseUrl}=dv`;
  const bearer = { authorization: `Bearer ${targets.token}` };
  const ways: Way[] = [
    { name: 'direct', url: direct, headers: bearer, agent: pool() },
    { name: 'bareProxy', url: direct.replace(targets.emulatorUrl, targets.bareProxy.url), headers: bearer, agent: pool(), pid: targets.bareProxy.pid },
    {
      name: 'gateway',
      url: `${targets.gateway.url}/sessions/${video.sessionId}/media-items/${encodeURIComponent(video.itemId)}/content`,
      headers: { cookie: targets.user.jar.header },
      agent: pool(),
      pid: targets.gateway.pid,
    },
  ];
  const whole1GiB = await compare(ways, [undefined], GIB, '1 GiB');
  const ranges = Array.from({ length: CONCURRENT }, (_, i) => `bytes=${i * 50 * MIB}-${(i + 1) * 50 * MIB - 1}`);
  const concurrent20x50MiB = await compare(ways, ranges, CONCURRENT * 50 * MIB, '20 x 50 MiB');
  const abortStopMs: Array<number | null> = [];
  for (let i = 0; i < ABORT_TRIES; i++) abortStopMs.push(await upstreamStopMs(targets, ways[2]!, setup));
  console.log(`  abort: upstream stopped after ${abortStopMs.join(', ')} ms`);
  for (const agent of [setup, ...ways.map((way) => way.agent)]) agent.destroy();
  return { gatewayIdleRssMiB, whole1GiB, concurrent20x50MiB, abortStopMs };
}
