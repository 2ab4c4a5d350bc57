/**
 * Where the gateway's memory goes, garbage included: preload this into the
 * gateway with BENCH_GATEWAY_NODE_ARGS="--import ./bench/allocation-sampler.ts".
 * Node's --heap-prof keeps only objects still alive when the process ends;
 * this samples every allocation, also what scavenges collected, because the
 * bytes allocated per request set how often the young generation is
 * collected. The profile is written when the process exits, to
 * ALLOCATION_PROFILE_DIR (default: the working directory), and opens in
 * Chrome DevTools' Memory tab. ALLOCATION_PROFILE_PROMOTED=1 keeps only what
 * survived the scavenges (what was promoted), which is what fills the old
 * generation and brings on mark-compacts.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const session = new Session();
session.connect();
session.post('HeapProfiler.startSampling', {
  samplingInterval: 4096,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: process.env.ALLOCATION_PROFILE_PROMOTED !== '1',
});

process.on('exit', () => {
  // An in-process inspector session answers synchronously, which is what an exit handler needs.
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error) return;
    const file = path.join(process.env.ALLOCATION_PROFILE_DIR ?? '.', `allocations-${process.pid}.heapprofile`);
    writeFileSync(file, JSON.stringify(result.profile));
  });
});
