import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

/** No Docker engine runs on these machines, so the Dockerfile's promises are checked as text. */
const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
const lines = dockerfile.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const stages = dockerfile.split(/^FROM /m).slice(1).map((stage) => `FROM ${stage}`);
const finalStage = stages.at(-1)!;

describe('the Dockerfile', () => {
  it('when read, then it is multi-stage on a pinned Node 24 major', () => {
    assert.ok(stages.length >= 2);
    for (const from of lines.filter((l) => l.startsWith('FROM '))) assert.match(from, /^FROM node:24-[a-z-]+ AS \w+$/);
  });

  it('when the final stage runs, then it is a non-root user under an init process with node as the command', () => {
    assert.match(finalStage, /^USER (node|\d{3,})$/m);
    assert.doesNotMatch(finalStage, /^USER root$/m);
    assert.match(finalStage, /^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    const cmd = finalStage.match(/^CMD (.+)$/m)?.[1];
    assert.ok(cmd);
    assert.deepEqual(JSON.parse(cmd!)[0], 'node');
    assert.doesNotMatch(cmd!, /npm/);
    assert.match(finalStage, /^ENV NODE_ENV=production/m);
  });

  it('when the container or npm start runs the server, then node runs it with no runtime flags', () => {
    const cmd = JSON.parse(finalStage.match(/^CMD (.+)$/m)![1]!) as string[];
    assert.deepEqual(cmd, ['node', 'dist/server.js']);
    const start = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start;
    assert.match(start, /with-node\.sh src\/server\.ts$/);
  });

  it('when built, then dependencies come from npm ci and dev dependencies are pruned before the final copy', () => {
    assert.match(dockerfile, /npm ci/);
    assert.match(dockerfile, /npm prune --omit=dev/);
    assert.doesNotMatch(finalStage, /npm (ci|install)(?!.*--omit=dev)/);
    assert.match(finalStage, /COPY --from=build .*node_modules/);
  });

  it('when running, then a HEALTHCHECK probes /healthz', () => {
    assert.match(finalStage, /HEALTHCHECK[\s\S]*\/healthz/);
  });

  it('when building, then secrets and local files stay out of the context', () => {
    const ignore = readFileSync(new URL('../../.dockerignore', import.meta.url), 'utf8');
    for (const entry of ['node_modules', '.git', '.env', '.tooling']) assert.match(ignore, new RegExp(`^${entry.replace('.', '\\.')}$`, 'm'));
  });
});
