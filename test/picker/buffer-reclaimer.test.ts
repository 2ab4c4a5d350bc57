import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { BufferReclaimer, minorCollector } from '../../src/picker/buffer-reclaimer.ts';

describe('the buffer reclaimer', () => {
  it('when bytes stream through, then it collects once per interval, counting across calls', () => {
    let collections = 0;
    const reclaimer = new BufferReclaimer(() => collections++, 1000);
    reclaimer.count(999);
    assert.equal(collections, 0, 'not before the interval is full');
    reclaimer.count(1);
    assert.equal(collections, 1);
    for (let i = 0; i < 7; i++) reclaimer.count(300);
    assert.equal(collections, 3, '2100 more bytes fill two more intervals, the bytes past each one counting towards the next');
    reclaimer.count(899);
    assert.equal(collections, 3, '100 + 899 bytes are one short of the next interval');
    reclaimer.count(5000);
    assert.equal(collections, 4, 'one large chunk makes one collection, which frees everything');
  });

  it('when it follows a stream, then the stream’s chunks are what it counts', async () => {
    let collections = 0;
    const reclaimer = new BufferReclaimer(() => collections++, 64 * 1024);
    const stream = new PassThrough();
    reclaimer.follow(stream);
    for (let i = 0; i < 10; i++) stream.write(Buffer.alloc(32 * 1024));
    stream.end();
    for await (const _ of stream) void _; // drain whatever is left
    assert.equal(collections, 5);
  });

  it('when V8 offers no collection, then following a stream adds no listener', () => {
    const stream = new PassThrough();
    new BufferReclaimer(undefined).follow(stream);
    assert.equal(stream.listenerCount('data'), 0);
  });

  it('when the collector is taken from V8, then it runs a real minor collection and leaves no global gc behind', async () => {
    const { PerformanceObserver, constants } = await import('node:perf_hooks');
    const collect = minorCollector();
    assert.ok(collect, 'Node 24 can expose a collection to a fresh context');
    const kinds: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) kinds.push((entry as unknown as { detail: { kind: number } }).detail.kind);
    });
    observer.observe({ entryTypes: ['gc'] });
    collect();
    await new Promise((resolve) => setTimeout(resolve, 50));
    observer.disconnect();
    assert.ok(kinds.includes(constants.NODE_PERFORMANCE_GC_MINOR), `a minor collection was observed (kinds: ${kinds.join(',')})`);
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
  });
});
