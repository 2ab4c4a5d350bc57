/**
 * The reference point for every "through the gateway" figure: the least any
 * proxy can do on this machine. Each request is forwarded as it is (method,
 * path, headers, body) to UPSTREAM over pooled keep-alive connections and
 * the answer piped back; no sessions, no checks, no logs. What this costs
 * relative to calling the emulator directly is the price of the extra hop
 * alone. Prints one JSON line {url} when ready.
 */
import http from 'node:http';
import { pipeline } from 'node:stream/promises';

const upstream = new URL(process.env.UPSTREAM!);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

const server = http.createServer((req, res) => {
  const forward = http.request({
    host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host }, agent,
  }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    pipeline(answer, res).catch(() => undefined);
  });
  forward.on('error', () => res.destroy());
  pipeline(req, forward).catch(() => undefined);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
