/**
 * The benchmark's processes (the emulator, the gateway, the bare proxy) and
 * what the driver reads of them from /proc: CPU time and peak memory.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';

export interface Running { child: ChildProcess; pid: number; url: string }

const children = new Set<ChildProcess>();
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));

/** Starts `node script` (with `nodeArgs`, none by default) and waits for the JSON line {url} it prints when ready. */
export async function spawnReady(script: string, env: Record<string, string>, nodeArgs: readonly string[] = []): Promise<Running> {
  const child = spawn(process.execPath, [...nodeArgs, script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.startsWith('{"url"'));
      if (!line) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume(); // the gateway's request logs go on being written, as in production, and are dropped here
      child.off('exit', onEarlyExit);
      resolve({ child, pid: child.pid!, url: (JSON.parse(line) as { url: string }).url });
    };
    const onEarlyExit = (code: number | null) => reject(new Error(`${script} exited with ${code} before it was ready`));
    child.stdout!.on('data', onData);
    child.once('exit', onEarlyExit);
  });
}

/** Stops a process gracefully (SIGTERM), killing it after 5 s. */
export async function stop(running: Running): Promise<void> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return;
  const exited = once(running.child, 'exit');
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stop({ child, pid: child.pid!, url: '' })));
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A Redis key prefix of this run alone, so it can share the machine's Redis and clean up after itself. */
export const uniqueKeyPrefix = () => `ppgbench:${randomBytes(4).toString('hex')}:`;

const TICK_MS = 10; // /proc/PID/stat counts in clock ticks of 1/100 s (CLK_TCK on Linux)

/** CPU time (user + system) the process has used so far, in milliseconds. */
export async function cpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Starts a new peak: the kernel resets the process's VmHWM to its current RSS. */
export async function resetPeakRss(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5');
}

async function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))![1]) * 1024;
}

/** The process's peak RSS since the last reset, in bytes (exact: the kernel keeps it, nothing is sampled). */
export const peakRssBytes = (pid: number) => statusBytes(pid, 'VmHWM');

export const rssBytes = (pid: number) => statusBytes(pid, 'VmRSS');

export const GATEWAY_CLIENT = { clientId: 'bench-client', clientSecret: 'bench-client-secret' };

/** BENCH_GATEWAY_ARGS: Node flags for every gateway the benchmark starts (`--cpu-prof --cpu-prof-dir=/tmp/p`, say). */
const GATEWAY_NODE_ARGS = (process.env.BENCH_GATEWAY_ARGS ?? '').split(' ').filter(Boolean);

/** Builds the gateway as the container does (`npm run build` into dist/), for startGateway to run. */
export function buildGateway(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: new URL('..', import.meta.url).pathname, stdio: 'inherit' });
}

/**
 * The gateway as the container runs it (`node dist/server.js`, no Node flags; buildGateway first), on `port`, with
 * Google at the emulator. Its redirect URI `http://127.0.0.1:{port}/auth/google/callback` must be registered with the
 * emulator. Rate limits are lifted: all the
 * benchmark's users sign in from one address. `env` adds settings (an import destination, say).
 */
export function startGateway(port: number, emulatorUrl: string, store: 'memory' | 'redis', keyPrefix: string, env: Record<string, string> = {}): Promise<Running> {
  const url = `http://127.0.0.1:${port}`;
  return spawnReady(new URL('./gateway-process.mjs', import.meta.url).pathname, {
    NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, LOG_LEVEL: 'info',
    GOOGLE_CLIENT_ID: GATEWAY_CLIENT.clientId, GOOGLE_CLIENT_SECRET: GATEWAY_CLIENT.clientSecret,
    SESSION_SECRET: 'bench-session-secret-of-at-least-32-chars', SESSION_STORE: store, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: keyPrefix,
    TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    GOOGLE_AUTH_URL: `${emulatorUrl}/o/oauth2/v2/auth`, GOOGLE_TOKEN_URL: `${emulatorUrl}/token`, GOOGLE_REVOKE_URL: `${emulatorUrl}/revoke`,
    GOOGLE_API_ROOT_URL: `${emulatorUrl}/`, PICKER_API_URL: emulatorUrl, MEDIA_HOSTS: '127.0.0.1',
    RATE_LIMIT_SIGNIN: '1000000', RATE_LIMIT_SESSIONS: '1000000', UPSTREAM_TIMEOUT_MS: '60000',
    ...env,
  }, GATEWAY_NODE_ARGS);
}

/** CPU time (user + system) of the process's main thread alone, its event loop, in milliseconds. */
export async function eventLoopCpuMs(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
