/**
 * `npm run bench`: measures the gateway against the emulator it fronts, each
 * figure as a ratio taken in the same run, so the machine's speed cancels out.
 *
 *  1. Media: a 1 GiB video streamed through the proxy vs downloaded straight
 *     from the emulator; peak memory growth of the gateway process; then 20
 *     concurrent 50 MiB downloads the same two ways.
 *  2. API: POST /sessions and GET /sessions/{id} throughput and p50/p99
 *     latency through the gateway vs the same calls straight to the emulator,
 *     with the memory store and with Redis; added p99 at half the maximum load.
 *  3. Redis: memory per signed-in user.
 *
 * Three processes: the emulator, the gateway (as src/server.ts runs it) and
 * this driver. Results print as a table and are written to bench/results.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { createClient } from 'redis';
import { PICKER_SCOPE } from '../src/config.ts';
import { Client, signIn } from '../test/helpers/harness.ts';
import { freePort, uniquePrefix } from '../test/helpers/redis.ts';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const GATEWAY_CLIENT = { clientId: 'bench-client', clientSecret: 'bench-client-secret' };
const DIRECT_CLIENT = { clientId: 'bench-direct', clientSecret: 'bench-direct-secret', redirectUris: ['http://127.0.0.1/direct'] };
const LOAD_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = 16;
/** Which parts to run (comma-separated: media, api); all by default. */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'media,api').split(','));
/** Which session stores the API part runs with (comma-separated: memory, redis). */
const STORES = (process.env.BENCH_STORES ?? 'memory,redis').split(',') as Array<'memory' | 'redis'>;
/** Which API calls to measure (comma-separated: create, get). */
const CALLS = new Set((process.env.BENCH_CALLS ?? 'create,get').split(','));
/** Open-loop latency rounds per call and way. */
const LATENCY_ROUNDS = 3;
/** Signed-in users the API load is spread over. */
const USERS = Number(process.env.BENCH_USERS ?? 1000);

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

async function spawnReady(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  // The gateway runs with the container's flags (Dockerfile CMD); BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof")
  // adds more, to profile it while it is measured.
  const nodeArgs = script.includes('gateway') ? ['--v8-pool-size=0', ...(process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean)] : [];
  const child = spawn(process.execPath, [...nodeArgs, script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) {
        child.stdout!.off('data', onData);
        // Keep draining the logs; BENCH_GATEWAY_STDOUT keeps the gateway's (with any --trace-gc lines) in a file.
        if (script.includes('gateway') && process.env.BENCH_GATEWAY_STDOUT) child.stdout!.pipe(createWriteStream(process.env.BENCH_GATEWAY_STDOUT, { flags: 'a' }));
        else child.stdout!.resume();
        resolve({ child, url: (JSON.parse(line) as { url: string }).url });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmRSS:\s+(\d+) kB/)![1]) * 1024;
}

/** CPU time (user + system) a process has used so far, in milliseconds. */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in clock ticks of 10 ms
}

/** Samples a process's RSS until stopped; returns the peak growth over the baseline. */
function sampleMemory(pid: number) {
  let baseline = 0;
  let peak = 0;
  let running = true;
  const ready = rssBytes(pid).then((value) => (baseline = peak = value));
  const loop = (async () => {
    await ready;
    while (running) {
      peak = Math.max(peak, await rssBytes(pid));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    ready,
    async stop() {
      running = false;
      await loop;
      return peak - baseline;
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: Buffer; bytes: number }

/** A plain keep-alive HTTP call; `discard` counts the body without keeping it. */
function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; discard?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (!options.discard) chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), bytes }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

async function directToken(emulatorUrl: string): Promise<string> {
  const auth = new URL(`${emulatorUrl}/o/oauth2/v2/auth`);
  auth.search = new URLSearchParams({ client_id: DIRECT_CLIENT.clientId, redirect_uri: DIRECT_CLIENT.redirectUris[0]!, response_type: 'code', scope: PICKER_SCOPE, state: 's' }).toString();
  const transaction = (await (await fetch(auth)).text()).match(/name="transaction" value="([^"]+)"/)![1]!;
  const decision = await fetch(`${emulatorUrl}/o/oauth2/v2/auth/decision`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ transaction, account: 'alice@example.com', decision: 'allow', scope: PICKER_SCOPE }),
  });
  const code = new URL(decision.headers.get('location')!).searchParams.get('code')!;
  const token = await fetch(`${emulatorUrl}/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: DIRECT_CLIENT.redirectUris[0]!, client_id: DIRECT_CLIENT.clientId, client_secret: DIRECT_CLIENT.clientSecret }),
  });
  return ((await token.json()) as { access_token: string }).access_token;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface LoadResult { perSecond: number; p50: number; p99: number; errors: number }

/** The round whose p99 is the median of the rounds'. */
function median(results: LoadResult[]): LoadResult {
  return [...results].sort((a, b) => a.p99 - b.p99)[Math.floor(results.length / 2)]!;
}

/** Closed loop: `concurrency` workers back to back for `seconds`. */
async function closedLoop(send: () => Promise<number>, seconds: number, concurrency = CONCURRENCY): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const started = performance.now();
      const status = await send().catch(() => 0);
      latencies.push(performance.now() - started);
      if (status < 200 || status >= 300) errors++;
    }
  }));
  latencies.sort((a, b) => a - b);
  return { perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

/** Open loop at a fixed rate, so latency is measured at a chosen load rather than at saturation. */
async function openLoop(send: () => Promise<number>, rate: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.floor(rate * seconds);
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const t0 = performance.now();
    inflight.push(send().then(
      (status) => {
        latencies.push(performance.now() - t0);
        if (status < 200 || status >= 300) errors++;
      },
      () => void errors++,
    ));
  }
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  return { perSecond: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

function cookieHeader(client: Client): string {
  return [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
}

interface SignedInUser { client: Client; headers: Record<string, string> }

/** Signs `count` users in (16 at a time) and returns the headers of their JSON API calls. */
async function signInUsers(gatewayUrl: string, count: number): Promise<SignedInUser[]> {
  const users: SignedInUser[] = [];
  const accounts = ['alice@example.com', 'bob@example.com'];
  let started = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (started < count) {
      const client = new Client(gatewayUrl);
      await signIn(client, { account: accounts[started++ % accounts.length]! });
      await client.refreshCsrf();
      users.push({
        client,
        headers: { cookie: cookieHeader(client), origin: gatewayUrl, 'x-csrf-token': client.csrfToken!, accept: 'application/json', 'content-type': 'application/json' },
      });
    }
  }));
  return users;
}

async function main() {
  const results: Record<string, unknown> = {};
  const redirectPorts = [await freePort(), await freePort()];
  const emulator = await spawnReady('bench/emulator-process.ts', {
    LARGE_VIDEO_BYTES: String(GIB),
    EMULATOR_CLIENTS: JSON.stringify([
      { ...GATEWAY_CLIENT, redirectUris: redirectPorts.map((p) => `http://127.0.0.1:${p}/auth/google/callback`) },
      DIRECT_CLIENT,
    ]),
  });
  const token = await directToken(emulator.url);
  const bearer = { authorization: `Bearer ${token}` };
  // The floor for any proxy on this machine: the same calls through a bare forwarding proxy (bench/bare-proxy-process.ts).
  const bareProxy = await spawnReady('bench/bare-proxy-process.ts', { UPSTREAM: emulator.url });
  const viaBareProxy = (url: string) => url.replace(emulator.url, bareProxy.url);

  // ---- 1. media -------------------------------------------------------------------------
  const memoryGateway = await startGateway(redirectPorts[0]!, emulator.url, 'memory');
  const user = new Client(memoryGateway.url);
  await signIn(user);
  await user.refreshCsrf();
  if (PARTS.has('media')) {
    const session = (await (await user.post('/sessions', { accept: 'json', json: {} })).json()) as { id: string };
    await fetch(`${emulator.url}/__emulator/sessions/${session.id}/pick`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 25 }),
    });
    const direct = JSON.parse((await call(`${emulator.url}/v1/mediaItems?sessionId=${session.id}&pageSize=100`, { headers: bearer })).body.toString()) as {
      mediaItems: Array<{ id: string; mediaFile: { baseUrl: string; filename: string } }>;
    };
    const video = direct.mediaItems.find((item) => item.mediaFile.filename === 'large-video.mp4');
    if (!video) throw new Error('the emulator has no large video');
    for (let i = 0; i < 40; i++) {
      const status = (await (await user.get(`/sessions/${session.id}`, { accept: 'json' })).json()) as { status: string };
      if (status.status === 'complete') break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const viaGateway = `${memoryGateway.url}/sessions/${session.id}/media-items/${encodeURIComponent(video.id)}/content`;
    const gatewayHeaders = { cookie: cookieHeader(user) };
    const straight = `${video.mediaFile.baseUrl}=dv`;

    async function timedDownload(url: string, headers: Record<string, string>, range?: string) {
      const t0 = performance.now();
      const answer = await call(url, { headers: range ? { ...headers, range } : headers, discard: true });
      if (answer.status !== 200 && answer.status !== 206) throw new Error(`download answered ${answer.status}`);
      return { seconds: (performance.now() - t0) / 1000, bytes: answer.bytes };
    }

    // Warm-up: one full download each way, so the measured rounds see the process in its steady state
    // (the first large transfer grows V8's heap and external-memory limits once; that is not per download).
    await timedDownload(viaGateway, gatewayHeaders);
    await timedDownload(straight, bearer);
    await timedDownload(viaBareProxy(straight), bearer);
    const single = { direct: [] as number[], gateway: [] as number[], bareProxy: [] as number[], growthMiB: 0 };
    for (let round = 0; round < 2; round++) {
      const d = await timedDownload(straight, bearer);
      single.direct.push(d.bytes / MIB / d.seconds);
      const b = await timedDownload(viaBareProxy(straight), bearer);
      single.bareProxy.push(b.bytes / MIB / b.seconds);
      const memory = sampleMemory(memoryGateway.child.pid!);
      await memory.ready;
      const g = await timedDownload(viaGateway, gatewayHeaders);
      single.growthMiB = Math.max(single.growthMiB, (await memory.stop()) / MIB);
      if (g.bytes !== GIB) throw new Error(`proxied ${g.bytes} bytes`);
      single.gateway.push(g.bytes / MIB / g.seconds);
    }
    const best = (values: number[]) => Math.max(...values);
    results.media1GiB = {
      directMiBps: Math.round(best(single.direct)),
      gatewayMiBps: Math.round(best(single.gateway)),
      ratio: +(best(single.gateway) / best(single.direct)).toFixed(2),
      bareProxyMiBps: Math.round(best(single.bareProxy)),
      bareProxyRatio: +(best(single.bareProxy) / best(single.direct)).toFixed(2),
      peakMemoryGrowthMiB: +single.growthMiB.toFixed(1),
    };

    async function concurrent(url: string, headers: Record<string, string>) {
      const t0 = performance.now();
      const parts = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        timedDownload(url, headers, `bytes=${i * 50 * MIB}-${(i + 1) * 50 * MIB - 1}`)));
      const bytes = parts.reduce((sum, part) => sum + part.bytes, 0);
      if (bytes !== 20 * 50 * MIB) throw new Error(`concurrent downloads got ${bytes} bytes`);
      return bytes / MIB / ((performance.now() - t0) / 1000);
    }
    await concurrent(viaGateway, gatewayHeaders); // warm-up, as above
    const directConcurrent = await concurrent(straight, bearer);
    const bareProxyConcurrent = await concurrent(viaBareProxy(straight), bearer);
    const memory = sampleMemory(memoryGateway.child.pid!);
    await memory.ready;
    const gatewayConcurrent = await concurrent(viaGateway, gatewayHeaders);
    results.media20x50MiB = {
      directMiBps: Math.round(directConcurrent),
      gatewayMiBps: Math.round(gatewayConcurrent),
      ratio: +(gatewayConcurrent / directConcurrent).toFixed(2),
      bareProxyMiBps: Math.round(bareProxyConcurrent),
      bareProxyRatio: +(bareProxyConcurrent / directConcurrent).toFixed(2),
      peakMemoryGrowthMiB: +((await memory.stop()) / MIB).toFixed(1),
    };
    printMedia(results);
  }

  // ---- 2. API throughput and latency --------------------------------------------------------
  const createAt = (base: string) => () => call(`${base}/v1/sessions`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{}', discard: true }).then((a) => a.status);
  const [directCreate, bareCreate] = [createAt(emulator.url), createAt(bareProxy.url)];
  const api: Record<string, unknown> = {};
  for (const store of PARTS.has('api') ? STORES : []) {
    const gateway = store === 'memory' ? memoryGateway : await startGateway(redirectPorts[1]!, emulator.url, 'redis');
    // Many signed-in users, as in production: the contract limits each user to RATE_LIMIT_SESSIONS (30) creations a
    // minute, so thousands of creations in seconds come from many people, not one (whose session would keep only
    // its latest MAX_REMEMBERED and delete the older ones at Google on every creation).
    const population = await signInUsers(gateway.url, USERS);
    let turn = 0;
    const next = () => population[turn++ % population.length]!;
    const gatewayCreate = () => call(`${gateway.url}/sessions`, { method: 'POST', headers: next().headers, body: '{}', discard: true }).then((a) => a.status);
    // Every user follows a session of their own, created when the phase starts.
    const followed = new Map<SignedInUser, string>();
    const gatewayGet = () => {
      const u = next();
      return call(`${gateway.url}/sessions/${followed.get(u)}`, { headers: u.headers, discard: true }).then((a) => a.status);
    };
    const getAt = (base: string) => () => call(`${base}/v1/sessions/${followed.get(next())}`, { headers: bearer, discard: true }).then((a) => a.status);
    const [directGet, bareGet] = [getAt(emulator.url), getAt(bareProxy.url)];

    for (const [name, viaGw, straightCall, viaBare] of [['create', gatewayCreate, directCreate, bareCreate], ['get', gatewayGet, directGet, bareGet]] as const) {
      if (!CALLS.has(name)) continue;
      if (name === 'get') {
        for (const u of population) {
          const created = await call(`${gateway.url}/sessions`, { method: 'POST', headers: u.headers, body: '{}' });
          followed.set(u, (JSON.parse(created.body.toString()) as { id: string }).id);
        }
      }
      await closedLoop(viaGw, 1); // warm-up
      const cpuBefore = await cpuMs(gateway.child.pid!);
      const gwMax = await closedLoop(viaGw, LOAD_SECONDS);
      const gatewayCpuMsPerCall = (await cpuMs(gateway.child.pid!) - cpuBefore) / (gwMax.perSecond * LOAD_SECONDS);
      const emulatorBefore = await cpuMs(emulator.child.pid!);
      const directMax = await closedLoop(straightCall, LOAD_SECONDS);
      const emulatorCpuMsPerCall = (await cpuMs(emulator.child.pid!) - emulatorBefore) / (directMax.perSecond * LOAD_SECONDS);
      const bareMax = await closedLoop(viaBare, LOAD_SECONDS);
      const rate = gwMax.perSecond / 2;
      // Tails are noisy on a shared machine: three interleaved rounds each way, the median round reported.
      const rounds = { gw: [] as LoadResult[], direct: [] as LoadResult[], bare: [] as LoadResult[] };
      for (let round = 0; round < LATENCY_ROUNDS; round++) {
        rounds.gw.push(await openLoop(viaGw, rate, LOAD_SECONDS));
        rounds.direct.push(await openLoop(straightCall, rate, LOAD_SECONDS));
        rounds.bare.push(await openLoop(viaBare, rate, LOAD_SECONDS));
      }
      const [gwHalf, directHalf, bareHalf] = [median(rounds.gw), median(rounds.direct), median(rounds.bare)];
      api[`${store}.${name}`] = {
        gatewayPerSecond: Math.round(gwMax.perSecond),
        directPerSecond: Math.round(directMax.perSecond),
        throughputRatio: +(gwMax.perSecond / directMax.perSecond).toFixed(2),
        gatewayCpuMsPerCall: +gatewayCpuMsPerCall.toFixed(3),
        emulatorCpuMsPerCall: +emulatorCpuMsPerCall.toFixed(3),
        atHalfLoadPerSecond: Math.round(rate),
        gatewayP50ms: +gwHalf.p50.toFixed(2), gatewayP99ms: +gwHalf.p99.toFixed(2),
        directP50ms: +directHalf.p50.toFixed(2), directP99ms: +directHalf.p99.toFixed(2),
        addedP99ms: +(gwHalf.p99 - directHalf.p99).toFixed(2),
        bareProxyPerSecond: Math.round(bareMax.perSecond),
        bareProxyRatio: +(bareMax.perSecond / directMax.perSecond).toFixed(2),
        bareProxyP99ms: +bareHalf.p99.toFixed(2),
        bareProxyAddedP99ms: +(bareHalf.p99 - directHalf.p99).toFixed(2),
        gatewayP99msPerRound: rounds.gw.map((r) => +r.p99.toFixed(1)),
        errors: gwMax.errors + rounds.gw.reduce((sum, r) => sum + r.errors, 0),
      };
      console.log(`api ${store}.${name}`, api[`${store}.${name}`]);
    }

    if (store === 'redis') {
      // ---- 3. Redis memory per signed-in user ---------------------------------------------------
      const redis = createClient({ url: 'redis://127.0.0.1:6379' });
      await redis.connect();
      const users = await Promise.all(Array.from({ length: 50 }, async () => {
        const c = new Client(gateway.url);
        await signIn(c);
        return c;
      }));
      const sids = users.map((c) => c.sessionId!);
      const prefix = `${gateway.keyPrefix}sess:`;
      const sizes = await Promise.all(sids.map(async (sid) => Number(await redis.memoryUsage(`${prefix}${sid}`))));
      results.redisBytesPerUser = Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
      // The heaviest users: the load above left each with the most Picker sessions a session remembers.
      const busy = population.slice(0, 50).map((u) => u.client.sessionId!);
      const busySizes = await Promise.all(busy.map(async (sid) => Number(await redis.memoryUsage(`${prefix}${sid}`))));
      results.redisBytesPerBusyUser = Math.round(busySizes.reduce((a, b) => a + b, 0) / busySizes.length);
      // How many Picker sessions those users' sessions actually remember: a slower machine's load may not reach 20.
      const remembered = await Promise.all(busy.map(async (sid) => {
        const stored = JSON.parse(String(await redis.get(`${prefix}${sid}`) ?? '{}')) as { pickerSessions?: Record<string, unknown> };
        return Object.keys(stored.pickerSessions ?? {}).length;
      }));
      results.pickerSessionsPerBusyUser = +(remembered.reduce((a, b) => a + b, 0) / remembered.length).toFixed(1);
      // Leave the shared Redis as it was: a run writes a few hundred thousand keys (sessions, observations, counters).
      for await (const keys of redis.scanIterator({ MATCH: `${gateway.keyPrefix}*`, COUNT: 1000 })) if (keys.length) await redis.unlink(keys);
      await redis.close();
    }
  }
  results.api = api;
  console.log('\n' + JSON.stringify(results, null, 2));
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2)}\n`);
  // Let the children shut down gracefully (a gateway run with --cpu-prof writes its profile then).
  await Promise.all(children.map((child) => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(undefined);
    child.once('exit', resolve);
    child.kill('SIGTERM');
    setTimeout(resolve, 5_000).unref();
  })));
  process.exit(0);
}

/** The gateway as the container runs it, on `port` (its redirect URI is registered with the emulator). */
async function startGateway(port: number, emulatorUrl: string, store: 'memory' | 'redis') {
  const url = `http://127.0.0.1:${port}`;
  const keyPrefix = uniquePrefix();
  const started = await spawnReady('bench/gateway-process.ts', {
    NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, LOG_LEVEL: 'info',
    GOOGLE_CLIENT_ID: GATEWAY_CLIENT.clientId, GOOGLE_CLIENT_SECRET: GATEWAY_CLIENT.clientSecret,
    SESSION_SECRET: 'bench-session-secret-of-at-least-32-chars', SESSION_STORE: store, REDIS_KEY_PREFIX: keyPrefix,
    TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    GOOGLE_AUTH_URL: `${emulatorUrl}/o/oauth2/v2/auth`, GOOGLE_TOKEN_URL: `${emulatorUrl}/token`, GOOGLE_REVOKE_URL: `${emulatorUrl}/revoke`,
    GOOGLE_API_ROOT_URL: `${emulatorUrl}/`, PICKER_API_URL: emulatorUrl, MEDIA_HOSTS: '127.0.0.1',
    RATE_LIMIT_SIGNIN: '1000000', RATE_LIMIT_SESSIONS: '1000000', UPSTREAM_TIMEOUT_MS: '60000',
  });
  return { ...started, url, keyPrefix };
}

function printMedia(results: Record<string, unknown>) {
  console.log('media 1 GiB', results.media1GiB);
  console.log('media 20 x 50 MiB', results.media20x50MiB);
}

main().catch((error: unknown) => {
  console.error(error);
  children.forEach((child) => child.kill('SIGKILL'));
  process.exit(1);
});
