/**
 * The README's Python host app, run as written against the gateway on the emulator: it signs the request, a
 * signed-in browser follows its link and picks, and it verifies the webhook (through a secret rotation) and reads
 * the pick and a byte range of an item from the API. Skipped, saying so, without a python3 that has PyJWT.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { eventually, startHarness, type Client, type Harness } from './helpers/harness.ts';
import { newSecret, pickIdOf } from './helpers/host-apps.ts';
import { bodyOf, startStandInServer, type StandInServer } from './helpers/stand-in-server.ts';

const README = new URL('../README.md', import.meta.url);
const run = promisify(execFile);

/** The python3 that can import PyJWT: the one on PATH, or Debian's (python3-jwt installs there). */
const python = ['python3', '/usr/bin/python3'].find((candidate) => spawnSync(candidate, ['-c', 'import jwt'], { stdio: 'ignore' }).status === 0);

/** The README's block after its python-host-app marker, with a few lines that call it from the command line. */
async function readmeProgram(): Promise<string> {
  const text = await readFile(README, 'utf8');
  const block = text.match(/<!-- python-host-app[^>]*-->\s*```python\n([\s\S]*?)```/)?.[1];
  assert.ok(block, 'the README has the Python host app\'s block');
  return `${block}
import sys
command, args = sys.argv[1], sys.argv[2:]
if command == "sign":
    print(pick_url(args[0], args[1], args[2], account=args[3], max_items=int(args[4])))
elif command == "verify":
    delivery = json.load(sys.stdin)
    print(json.dumps(verify_webhook(delivery["body"].encode(), delivery["headers"])))
elif command == "get":
    print(json.dumps(get_pick(args[0])))
elif command == "bytes":
    sys.stdout.write(base64.b64encode(item_bytes(args[0], args[1], args[2])).decode())
`;
}

interface Delivery {
  headers: Record<string, string>;
  body: string;
}


describe('the README\'s Python host app', () => {
  let h: Harness;
  let root: string;
  let receiver: StandInServer;
  let browser: Client;
  let program: string;
  const deliveries: Delivery[] = [];
  // The gateway signs webhooks with the first secret; the Python app signs and calls with the second and verifies with both.
  const [signing, calling] = [newSecret(), newSecret()];

  before(async () => {
    if (!python) return;
    program = await readmeProgram();
    root = await mkdtemp(path.join(tmpdir(), 'gateway-python-'));
    receiver = await startStandInServer(async (req, res) => {
      deliveries.push({ headers: req.headers as Record<string, string>, body: (await bodyOf(req)).toString('utf8') });
      res.writeHead(204).end();
    });
    const apps = [{ id: 'py-shop', name: 'Python Shop', secrets: [signing, calling], returnOrigins: ['https://py.example'], webhookUrl: `${receiver.base}/hooks` }];
    h = await startHarness({ env: { APPS: JSON.stringify(apps), IMPORT_DESTINATION: `file:${root}` }, emulator: { knobs: { pollIntervalSeconds: 1 } } });
    browser = await h.signedInClient();
  });
  after(async () => {
    if (!python) return;
    await h.close();
    receiver.close();
    await rm(root, { recursive: true, force: true });
  });

  const py = async (args: string[], input?: string) => {
    const env = { ...process.env, GATEWAY_URL: h.config.publicUrl.href.replace(/\/$/, ''), APP_ID: 'py-shop', APP_SECRETS: `${calling},${signing}` };
    const child = run(python!, ['-c', program, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
    if (input !== undefined) child.child.stdin!.end(input);
    return (await child).stdout.trim();
  };

  it('when it signs, verifies and calls as written, then the gateway accepts its request, and it reads the webhook, the pick and its bytes', async (t) => {
    if (!python) return t.skip('no python3 with PyJWT here (Debian: apt-get install python3-jwt)');
    const url = new URL(await py(['sign', 'customer-7', 'https://py.example/back', 'state-7', 'ana@py.example', '3']));
    assert.equal(url.origin + url.pathname, `${h.config.publicUrl.origin}/pick`);
    const start = await browser.get(url.pathname + url.search);
    const pick = pickIdOf(start.headers.get('location'));
    assert.ok(pick, `GET /pick answered ${start.status}`);
    const begun = await browser.post(`/picks/${pick}/continue`, { accept: 'json', json: {} });
    h.emulator.pick(((await begun.json()) as { id: string }).id, { count: 1 });

    const delivery = await eventually(() => deliveries[0], 'the webhook is delivered');
    const event = JSON.parse(await py(['verify'], JSON.stringify(delivery))) as { type: string; data: { id: string; status: string } };
    assert.equal(event.type, 'pick.completed');
    assert.equal(event.data.id, pick);
    const forged = { ...delivery, body: delivery.body.replace(event.data.status, 'failed') };
    await assert.rejects(py(['verify'], JSON.stringify(forged)), /no valid signature/);

    const read = JSON.parse(await py(['get', pick])) as { sub: string; state: string; status: string; items: Array<{ id: string; key: string }> };
    assert.deepEqual([read.sub, read.state, read.status, read.items.length], ['customer-7', 'state-7', 'done', 1]);
    const stored = await readFile(path.join(root, read.items[0]!.key));
    assert.deepEqual(Buffer.from(await py(['bytes', pick, read.items[0]!.id, 'bytes=5-24']), 'base64'), stored.subarray(5, 25));
  });
});
