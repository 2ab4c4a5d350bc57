import { mock } from 'node:test';
import pino from 'pino';
import { MemorySharedStore } from '../../../src/adapters/memory/shared-store.ts';
import { sharedStoreContract } from '../shared-store-contract.ts';

sharedStoreContract('in memory', async () => {
  // The store's clock and its sweep run on the fake timers, so expiry takes no real time.
  mock.timers.enable({ apis: ['Date', 'setInterval'] });
  const store = new MemorySharedStore(pino({ level: 'silent' }), 100);
  return {
    store,
    peer: store,
    advance: async (ms) => mock.timers.tick(ms),
    close: async () => {
      await store.close();
      mock.timers.reset();
    },
  };
});
