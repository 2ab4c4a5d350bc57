/** The gateway as a process of its own (src/server.ts), as the container runs it: for tests that kill or signal it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Starts it with exactly `env` (and PATH), and answers once it listens; `output` gathers stdout and stderr. On the
 * default embedded store without a DATA_DIR, it gets a fresh one, never the checkout's ./data.
 */
export async function startProcess(env: Record<string, string>): Promise<{ child: ChildProcess; output: string[] }> {
  const dataDir = env.SESSION_STORE === undefined && env.DATA_DIR === undefined ? { DATA_DIR: mkdtempSync(join(tmpdir(), 'ppg-data-')) } : {};
  const child = spawn(process.execPath, ['src/server.ts'], { env: { PATH: process.env.PATH ?? '', ...dataDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  // A cold start on a busy machine (a fresh checkout, other suites running) can take many seconds.
  const deadline = Date.now() + 60_000;
  while (!output.join('').includes('listening on') && Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited: ${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!output.join('').includes('listening on')) {
    // Never leave it running: a live child keeps the test file's process, and so the whole run, from ending.
    child.kill('SIGKILL');
    throw new Error(`server did not start: ${output.join('')}`);
  }
  return { child, output };
}
