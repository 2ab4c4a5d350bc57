import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { watchRedis, type WatchedClient } from '../../src/store/redis-watchdog.ts';

const quiet = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client whose PING goes over a real socket to an echo server, so answers arrive in the event loop's I/O phase. */
class EchoClient implements WatchedClient {
  isReady = true;
  destroyed = 0;
  answering = true;
  /** Keeps the event loop busy this long just after each PING is written, as a CPU-bound gateway would. */
  busyAfterPingMs = 0;
  readonly #socket: Socket;
  readonly #waiting: Array<() => void> = [];

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (data) => {
      for (let i = 0; i < data.length; i++) this.#waiting.shift()?.();
    });
  }

  ping(): Promise<string> {
    return new Promise((resolve) => {
      this.#waiting.push(() => resolve('PONG'));
      if (this.answering) this.#socket.write('.');
      if (this.busyAfterPingMs) {
        const busyFor = this.busyAfterPingMs;
        setImmediate(() => {
          const until = performance.now() + busyFor;
          while (performance.now() < until);
        });
      }
    });
  }

  destroy() {
    this.destroyed++;
    this.isReady = false;
    this.#waiting.length = 0;
  }

  async connect() {
    this.isReady = true;
    this.answering = true;
  }
}

describe('the Redis watchdog', () => {
  const server = createServer((peer) => peer.on('error', () => {}).pipe(peer));
  let socket: Socket;
  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    socket = createConnection((server.address() as { port: number }).port, '127.0.0.1');
    await once(socket, 'connect');
  });
  after(async () => {
    socket.end();
    await once(socket, 'close');
    server.close();
  });

  it('when PINGs go unanswered past the deadline, then it drops the connection and reconnects', async () => {
    const client = new EchoClient(socket);
    let stalls = 0;
    const watchdog = watchRedis(client, { probeEveryMs: 20, stallAfterMs: 100, logger: quiet, onStall: () => stalls++ });
    try {
      await sleep(200);
      assert.equal(client.destroyed, 0, 'an answering Redis is left alone');
      client.answering = false;
      await sleep(250);
      assert.equal(client.destroyed, 1);
      assert.equal(stalls, 1);
      assert.equal(client.isReady, true, 'it connected again');
    } finally {
      watchdog.stop();
    }
  });

  it('when the gateway itself is blocked longer than the deadline while the answer is on its way, then nothing is dropped', async () => {
    const client = new EchoClient(socket);
    // Each echo arrives while the loop is busy and waits in the socket; by then the next probe is overdue.
    client.busyAfterPingMs = 200;
    const watchdog = watchRedis(client, { probeEveryMs: 20, stallAfterMs: 100, logger: quiet });
    try {
      await sleep(1_000);
      assert.equal(client.destroyed, 0);
    } finally {
      watchdog.stop();
    }
  });
});
