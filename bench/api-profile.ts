/**
 * The API as users meet it: every signed-in user follows one pending Picker
 * session, polling it once per pollInterval at a phase of their own, while
 * creations arrive at a steady rate spread over the users. The schedule is
 * open-loop (a late answer does not delay the next call), and it is sent three
 * ways in interleaved rounds: straight to the emulator, through the bare proxy,
 * and through the gateway. Added latency is the gateway's minus the direct
 * calls'. During gateway rounds the emulator's request log shows how often
 * Google was asked sessions.get for each session.
 */
import type http from 'node:http';
import type { RequestLogEntry } from '@photos-picker-gateway/google-emulator';
import { call, callJson, inParallel, median, percentile, pool, type Answer } from './http-call.ts';
import { clearRequests, requests } from './emulator-log.ts';
import type { ImportLoad } from './import-load.ts';
import { cpuMs, type Running } from './processes.ts';
import { createGatewaySession, loadTestAccount, signInToGateway, type GatewayUser } from './sign-in.ts';

export interface ProfileSettings {
  users: number;
  createsPerSecond: number;
  pollIntervalMs: number;
  roundSeconds: number;
  rounds: number;
  /** Sign-ins and setup calls in flight at once. */
  setupConcurrency: number;
}

type Kind = 'poll' | 'create';
/**
 * The `…Importing` ways run while the gateway imports in the background (ProfileTargets.importLoad): the gateway, and
 * beside it the direct calls and the bare proxy under the same load, for the machine's share of the difference (the
 * emulator that serves the API also serves the imported bytes, on the same cores).
 */
const WAY_NAMES = ['direct', 'bareProxy', 'gateway', 'directImporting', 'bareProxyImporting', 'gatewayImporting'] as const;
type WayName = (typeof WAY_NAMES)[number];

interface Way {
  name: WayName;
  /** The process whose CPU time is counted per call (none for direct calls: the emulator is not being measured). */
  pid?: number;
  send(kind: Kind, user: number): Promise<Answer>;
  /** Runs during the way's rounds. */
  load?: ImportLoad;
}

interface ScheduledCall { atMs: number; user: number; kind: Kind }

interface Latency { p50: number; p99: number }

export interface RoundResult {
  way: WayName;
  round: number;
  poll: Latency & { calls: number; failed: number };
  create: Latency & { calls: number; failed: number };
  /** How late the driver sent its calls against the schedule (p99, ms): a busy driver shows here. */
  driverLateP99: number;
  cpuMs?: number;
  /** Bytes the background import copied during the round, over the round (MiB/s). */
  importedMiBps?: number;
  /** Gateway rounds: the most sessions.get Google saw for one session within one pollInterval, and the mean. */
  googleGets?: { max: number; mean: number };
}

export interface ProfileResult {
  signInSeconds: number;
  rounds: RoundResult[];
  /** Medians over the rounds of each way. */
  latency: Record<'direct' | 'bareProxy' | 'gateway', Record<Kind, Latency>>;
  added: Record<'gateway' | 'bareProxy', Record<Kind, Latency>>;
  cpuMsPerCall: { gateway: number; bareProxy: number };
  googleGetsPerPollInterval: { max: number; mean: number };
  failedCalls: Record<WayName, number>;
  /**
   * With ProfileTargets.importLoad: the gateway's latency while it imports, what it adds over direct calls made under
   * the same load, what the bare proxy adds under that load, and how fast it imported.
   */
  importing?: {
    latency: Record<'direct' | 'bareProxy' | 'gateway', Record<Kind, Latency>>;
    added: Record<'gateway' | 'bareProxy', Record<Kind, Latency>>;
    importedMiBps: number;
  };
}

const round2 = (value: number) => +value.toFixed(2);
const accountOf = loadTestAccount;
export const accountsOfUsers = (settings: ProfileSettings) => Array.from({ length: settings.users }, (_, user) => accountOf(user));

/** When in each pollInterval a user polls: the users' phases are spread evenly over the interval. */
const phaseOf = (user: number, settings: ProfileSettings) => (user * settings.pollIntervalMs) / settings.users;

/** One round's calls in time order: each user's polls at its own phase, and the creations evenly spaced. */
function schedule(settings: ProfileSettings, round: number): ScheduledCall[] {
  const { users, pollIntervalMs, roundSeconds, createsPerSecond } = settings;
  const calls: ScheduledCall[] = [];
  for (let user = 0; user < users; user++) {
    for (let atMs = phaseOf(user, settings); atMs < roundSeconds * 1000; atMs += pollIntervalMs) calls.push({ atMs, user, kind: 'poll' });
  }
  const creations = roundSeconds * createsPerSecond;
  for (let i = 0; i < creations; i++) {
    // Each round's creations go to the next users in turn, so no user creates much more than another.
    calls.push({ atMs: (i + 0.5) * (1000 / createsPerSecond), user: (round * creations + i) % users, kind: 'create' });
  }
  return calls.sort((a, b) => a.atMs - b.atMs);
}


async function runRound(way: Way, calls: readonly ScheduledCall[]): Promise<Omit<RoundResult, 'round' | 'googleGets'> & { startWall: number }> {
  const latencies: Record<Kind, number[]> = { poll: [], create: [] };
  const failed: Record<Kind, number> = { poll: 0, create: 0 };
  const late: number[] = [];
  const inflight: Promise<void>[] = [];
  await way.load?.start();
  const cpuBefore = way.pid ? await cpuMs(way.pid) : 0;
  const start = performance.now() + 20;
  const startWall = Date.now() + 20;
  for (const scheduled of calls) {
    const wait = start + scheduled.atMs - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    late.push(Math.max(0, sent - start - scheduled.atMs));
    inflight.push(way.send(scheduled.kind, scheduled.user).then(
      (answer) => {
        if (answer.status >= 200 && answer.status < 300) latencies[scheduled.kind].push(performance.now() - sent);
        else failed[scheduled.kind]++;
      },
      () => void failed[scheduled.kind]++,
    ));
  }
  await Promise.all(inflight);
  const cpuAfter = way.pid ? await cpuMs(way.pid) : 0;
  const seconds = (performance.now() - start) / 1000;
  const imported = way.load ? await way.load.stop() : undefined;
  const summary = (kind: Kind) => {
    const sorted = latencies[kind].sort((a, b) => a - b);
    return { p50: round2(percentile(sorted, 50)), p99: round2(percentile(sorted, 99)), calls: sorted.length + failed[kind], failed: failed[kind] };
  };
  return {
    way: way.name,
    poll: summary('poll'),
    create: summary('create'),
    driverLateP99: round2(percentile(late.sort((a, b) => a - b), 99)),
    ...(way.pid ? { cpuMs: cpuAfter - cpuBefore } : {}),
    ...(imported === undefined ? {} : { importedMiBps: round2(imported / 1024 ** 2 / seconds) }),
    startWall,
  };
}

/**
 * Google's sessions.get per session and pollInterval, from the emulator's log of a gateway round. Each user's
 * intervals are centred on its own scheduled polls, so a gateway that passes every poll through counts 1 however
 * the calls jitter, and one that asks Google more than once per poll, or polls on its own as well, counts more.
 */
function googleGets(log: readonly RequestLogEntry[], startWall: number, phases: ReadonlyMap<string, number>, settings: ProfileSettings) {
  const counts = new Map<string, number>();
  let total = 0;
  for (const entry of log) {
    const id = entry.method === 'GET' ? entry.path.match(/^\/v1\/sessions\/([^/]+)$/)?.[1] : undefined;
    const phase = id === undefined ? undefined : phases.get(id);
    if (phase === undefined) continue;
    const interval = Math.floor((entry.at - startWall - phase + settings.pollIntervalMs / 2) / settings.pollIntervalMs);
    const key = `${id} ${interval}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    total++;
  }
  const intervals = phases.size * ((settings.roundSeconds * 1000) / settings.pollIntervalMs);
  return { max: Math.max(0, ...counts.values()), mean: +(total / intervals).toFixed(3) };
}

export interface ProfileTargets {
  emulatorUrl: string;
  bareProxy: Running;
  gateway: Running;
  /** Direct access tokens by account. */
  tokens: ReadonlyMap<string, string>;
  /** Each user's own pending session straight at the emulator (created once per run, by `createDirectSessions`). */
  directSessions: readonly string[];
  /** When given, the gateway's rounds are sent twice: as they are, and while this load imports. */
  importLoad?: (agent: http.Agent) => Promise<ImportLoad>;
}

/** One pending session per user at the emulator, owned by the user's account, for the direct and bare-proxy rounds. */
export async function createDirectSessions(emulatorUrl: string, tokens: ReadonlyMap<string, string>, settings: ProfileSettings): Promise<string[]> {
  const agent = pool();
  const sessions = await inParallel(accountsOfUsers(settings), settings.setupConcurrency, async (account) => (await callJson<{ id: string }>(agent, `${emulatorUrl}/v1/sessions`, {
    method: 'POST', headers: { authorization: `Bearer ${tokens.get(account)}`, 'content-type': 'application/json' }, body: '{}',
  })).id);
  agent.destroy();
  return sessions;
}

function googleWay(name: 'direct' | 'bareProxy', base: string, targets: ProfileTargets, agent: http.Agent, pid?: number): Way {
  const bearer = (user: number) => `Bearer ${targets.tokens.get(accountOf(user))}`;
  return {
    name,
    ...(pid ? { pid } : {}),
    send: (kind, user) => kind === 'poll'
      ? call(agent, `${base}/v1/sessions/${targets.directSessions[user]}`, { headers: { authorization: bearer(user) } })
      : call(agent, `${base}/v1/sessions`, { method: 'POST', headers: { authorization: bearer(user), 'content-type': 'application/json' }, body: '{}' }),
  };
}

function gatewayWay(gateway: Running, users: readonly GatewayUser[], sessions: readonly string[], agent: http.Agent): Way {
  const remember = (user: GatewayUser) => (answer: Answer) => {
    user.jar.store(answer); // the rolling session cookie, as a browser keeps it
    return answer;
  };
  return {
    name: 'gateway',
    pid: gateway.pid,
    send(kind, index) {
      const user = users[index]!;
      if (kind === 'poll') {
        return call(agent, `${gateway.url}/sessions/${sessions[index]}`, { headers: { cookie: user.jar.header, accept: 'application/json' } }).then(remember(user));
      }
      return call(agent, `${gateway.url}/sessions`, {
        method: 'POST',
        headers: { cookie: user.jar.header, accept: 'application/json', 'content-type': 'application/json', origin: gateway.url, 'x-csrf-token': user.csrfToken },
        body: '{}',
      }).then(remember(user));
    },
  };
}

export async function measureApiProfile(targets: ProfileTargets, settings: ProfileSettings): Promise<ProfileResult> {
  const setupAgent = pool();
  const signInStarted = performance.now();
  const users = await inParallel(accountsOfUsers(settings), settings.setupConcurrency,
    (account) => signInToGateway(setupAgent, targets.gateway.url, account));
  const signInSeconds = (performance.now() - signInStarted) / 1000;
  console.log(`  ${settings.users} users signed in in ${signInSeconds.toFixed(1)} s`);
  const gatewaySessions = await inParallel(users, settings.setupConcurrency, (user) => createGatewaySession(setupAgent, targets.gateway.url, user));
  const phases = new Map(gatewaySessions.map((id, user) => [id, phaseOf(user, settings)]));

  const agents = [pool(), pool(), pool()] as const;
  const ways = [
    googleWay('direct', targets.emulatorUrl, targets, agents[0]),
    googleWay('bareProxy', targets.bareProxy.url, targets, agents[1], targets.bareProxy.pid),
    gatewayWay(targets.gateway, users, gatewaySessions, agents[2]),
  ];
  if (targets.importLoad) {
    const load = await targets.importLoad(setupAgent);
    ways.push(
      { ...googleWay('direct', targets.emulatorUrl, targets, agents[0]), name: 'directImporting', load },
      { ...googleWay('bareProxy', targets.bareProxy.url, targets, agents[1], targets.bareProxy.pid), name: 'bareProxyImporting', load },
      { ...gatewayWay(targets.gateway, users, gatewaySessions, agents[2]), name: 'gatewayImporting', load },
    );
  }
  const rounds: RoundResult[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    const calls = schedule(settings, round);
    for (const way of ways) {
      if (way.name === 'gateway' || way.name === 'gatewayImporting') await clearRequests(setupAgent, targets.emulatorUrl);
      const { startWall, ...result } = await runRound(way, calls);
      const counted = way.name === 'gateway' || way.name === 'gatewayImporting' ? { googleGets: googleGets(await requests(setupAgent, targets.emulatorUrl), startWall, phases, settings) } : {};
      rounds.push({ ...result, round, ...counted });
      console.log(`  ${way.name} round ${round + 1}: poll p50 ${result.poll.p50} p99 ${result.poll.p99} ms, create p50 ${result.create.p50} p99 ${result.create.p99} ms`
        + (counted.googleGets ? `, Google sessions.get per interval max ${counted.googleGets.max}` : '')
        + (result.importedMiBps === undefined ? '' : `, importing ${result.importedMiBps} MiB/s`));
    }
  }
  await clearRequests(setupAgent, targets.emulatorUrl);
  for (const agent of [setupAgent, ...agents]) agent.destroy();

  const of = (name: WayName) => rounds.filter((r) => r.way === name);
  const medians = (name: WayName): Record<Kind, Latency> => ({
    poll: { p50: median(of(name).map((r) => r.poll.p50)), p99: median(of(name).map((r) => r.poll.p99)) },
    create: { p50: median(of(name).map((r) => r.create.p50)), p99: median(of(name).map((r) => r.create.p99)) },
  });
  const latency = { direct: medians('direct'), bareProxy: medians('bareProxy'), gateway: medians('gateway') };
  const minus = (a: Record<Kind, Latency>, b: Record<Kind, Latency>): Record<Kind, Latency> => ({
    poll: { p50: round2(a.poll.p50 - b.poll.p50), p99: round2(a.poll.p99 - b.poll.p99) },
    create: { p50: round2(a.create.p50 - b.create.p50), p99: round2(a.create.p99 - b.create.p99) },
  });
  const cpuPerCall = (name: WayName) => {
    const own = of(name);
    return +(own.reduce((sum, r) => sum + (r.cpuMs ?? 0), 0) / own.reduce((sum, r) => sum + r.poll.calls + r.create.calls, 0)).toFixed(3);
  };
  const gets = of('gateway').map((r) => r.googleGets!);
  const importingLatency = targets.importLoad
    ? { direct: medians('directImporting'), bareProxy: medians('bareProxyImporting'), gateway: medians('gatewayImporting') }
    : undefined;
  return {
    signInSeconds: +signInSeconds.toFixed(1),
    rounds,
    latency,
    added: { gateway: minus(latency.gateway, latency.direct), bareProxy: minus(latency.bareProxy, latency.direct) },
    cpuMsPerCall: { gateway: cpuPerCall('gateway'), bareProxy: cpuPerCall('bareProxy') },
    googleGetsPerPollInterval: { max: Math.max(...gets.map((g) => g.max)), mean: median(gets.map((g) => g.mean)) },
    failedCalls: Object.fromEntries(WAY_NAMES.map((name) => [name, of(name).reduce((sum, r) => sum + r.poll.failed + r.create.failed, 0)])) as Record<WayName, number>,
    ...(importingLatency ? {
      importing: {
        latency: importingLatency,
        added: { gateway: minus(importingLatency.gateway, importingLatency.direct), bareProxy: minus(importingLatency.bareProxy, importingLatency.direct) },
        importedMiBps: median(of('gatewayImporting').map((r) => r.importedMiBps ?? 0)),
      },
    } : {}),
  };
}
