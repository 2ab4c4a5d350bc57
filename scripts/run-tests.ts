/**
 * `npm test`: makes sure what the suite needs is there (a Redis on
 * 127.0.0.1:6379, Debian's Chromium), runs every test/**\/*.test.ts and
 * the workspace packages' packages/*\/test/**\/*.test.ts and the examples'
 * examples/*\/test/**\/*.test.ts with node's test runner, and ends with
 * one plain line "N passed, N failed".
 * Arguments narrow the run to some files: `npm test -- test/config.test.ts`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { glob } from 'node:fs/promises';
import { connect } from 'node:net';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const CHROMIUM = '/usr/bin/chromium';

function redisAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(6379, '127.0.0.1');
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function which(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function aptInstall(packages: string[]): void {
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    throw new Error(`Missing ${packages.join(', ')}: install them (Debian: apt-get install ${packages.join(' ')}).`);
  }
  console.log(`Installing ${packages.join(', ')} from Debian's packages…`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

async function ensureRedis(): Promise<void> {
  if (await redisAnswers()) return;
  if (!which('redis-server')) aptInstall(['redis-server']);
  console.log('Starting a Redis on 127.0.0.1:6379 for the tests…');
  execFileSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no'], { stdio: 'inherit' });
  for (let i = 0; i < 50 && !(await redisAnswers()); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await redisAnswers())) throw new Error('Redis did not start on 127.0.0.1:6379');
}

function ensureChromium(): void {
  if (!existsSync(CHROMIUM)) aptInstall(['chromium', 'fonts-noto-core', 'fonts-thai-tlwg']);
}

async function main(): Promise<void> {
  await ensureRedis();
  ensureChromium();
  const requested = process.argv.slice(2);
  const files = requested.length > 0 ? requested : (await Array.fromAsync(glob(['test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts']))).sort();

  let passed = 0;
  let failed = 0;
  const stream = run({ files, concurrency: 2, timeout: 240_000 });
  stream.on('test:pass', (event) => {
    if (event.details.type !== 'suite' && !event.skip && !event.todo) passed++;
  });
  stream.on('test:fail', (event) => {
    if (event.details.type !== 'suite') failed++;
  });
  stream.compose(spec).pipe(process.stdout);
  await new Promise((resolve) => stream.once('end', resolve));
  // The plain closing line CI reads.
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});
