/** The gateway as a process of its own (src/server.ts), as the container runs it: for tests that kill or signal it. */
import { spawn, type ChildProcess } from 'node:child_process';

/** Starts it with exactly `env` (and PATH), and answers once it listens; `output` gathers stdout and stderr. */
export async function startProcess(env: Record<string, string>): Promise<{ child: ChildProcess; output: string[] }> {
  const child = spawn(process.execPath, ['src/server.ts'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
