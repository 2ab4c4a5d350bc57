import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createTransport } from '../../../src/adapters/google/http-transport.ts';

const transportFetch = createTransport(5_000);

describe('the Google transport', () => {
  let server: Server;
  let base: string;
  let handle: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  const connections = new Set<string>();

  before(async () => {
    server = createServer((req, res) => {
      connections.add(`${req.socket.remotePort}`);
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => handle(req, res, body));
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('when a JSON call is made, then method, headers and body arrive and the answer reads like a fetch Response', async () => {
    handle = (req, res, body) => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('retry-after', '7');
      res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, type: req.headers['content-type'], body }));
    };
    const response = await transportFetch(`${base}/v1/sessions`, {
      method: 'post', headers: new Headers({ Authorization: 'Bearer t', 'Content-Type': 'application/json' }), body: '{"a":1}',
    });
    assert.equal(response.status, 200);
    assert.equal(response.ok, true);
    assert.equal(response.headers.get('retry-after'), '7');
    assert.deepEqual(await response.json(), { method: 'POST', auth: 'Bearer t', type: 'application/json', body: '{"a":1}' });
  });

  it('when a form is sent as URLSearchParams, then it arrives form-encoded', async () => {
    handle = (req, res, body) => res.end(JSON.stringify({ type: req.headers['content-type'], body }));
    const response = await transportFetch(`${base}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', x: 'a b' }) });
    assert.deepEqual(await response.json(), { type: 'application/x-www-form-urlencoded;charset=UTF-8', body: 'grant_type=refresh_token&x=a+b' });
  });

  it('when calls follow one another, then they reuse one pooled connection', async () => {
    handle = (_req, res) => res.end('{}');
    connections.clear();
    for (let i = 0; i < 5; i++) await (await transportFetch(`${base}/ping`)).text();
    assert.equal(connections.size, 1);
  });

  it('when the answer is gzip-encoded, then it is decoded', async () => {
    handle = (_req, res) => {
      res.setHeader('content-encoding', 'gzip');
      res.end(gzipSync(JSON.stringify({ mediaItems: [{ id: 'x' }] })));
    };
    assert.deepEqual(await (await transportFetch(`${base}/v1/mediaItems`)).json(), { mediaItems: [{ id: 'x' }] });
  });

  it('when the answer is far larger than any Google answer, then it is refused', async () => {
    handle = (_req, res) => res.end(Buffer.alloc(9 * 1024 * 1024, 'a'));
    await assert.rejects(transportFetch(`${base}/huge`), /larger than/);
  });

  it('when the signal aborts mid-call, then the call rejects with the signal\'s reason', async () => {
    handle = () => undefined; // never answers
    const signal = AbortSignal.timeout(100);
    await assert.rejects(transportFetch(`${base}/slow`, { signal }), (error: Error) => error.name === 'TimeoutError');
  });

  it('when Google does not answer within the timeout, then the call rejects with a TimeoutError', async () => {
    handle = () => undefined; // never answers
    await assert.rejects(createTransport(100)(`${base}/hang`), (error: Error) => error.name === 'TimeoutError' && /100 ms/.test(error.message));
  });

  it('when nothing listens, then the call rejects with a network error code', async () => {
    await assert.rejects(transportFetch('http://127.0.0.1:9/'), (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED');
  });
});
