/**
 * An S3-compatible server for the import profile: fauxqs (the tests' S3, objects held in memory) in a process of its
 * own, so storing the bytes shares no event loop with the gateway or the plain copy that send them. Creates BUCKET
 * and prints one JSON line {url} when ready.
 */
import { startFauxqs } from 'fauxqs';

const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
server.createBucket(process.env.BUCKET!);
console.log(JSON.stringify({ url: `http://127.0.0.1:${server.port}` }));
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
