/** What every SharedStore adapter promises the domain (src/domain/ports.ts), run against each adapter. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { SharedStore } from '../../src/domain/ports.ts';

export interface ContractSubject {
  store: SharedStore;
  /** Another handle on the same state: a second replica's store on Redis, the same store in one process. */
  peer: SharedStore;
  /** Lets time pass: a fake clock where the adapter allows one, real time otherwise. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** Short enough for a real Redis to expire within a test, long enough that the first read still sees the value. */
const TTL = 200;

/** Resolves with the next message a listener hears. */
function nextMessage(store: SharedStore, channel: string): Promise<{ message: Promise<string>; unsubscribe: () => Promise<void> }> {
  let heard!: (message: string) => void;
  const message = new Promise<string>((resolve) => (heard = resolve));
  return store.subscribe(channel, heard).then((unsubscribe) => ({ message, unsubscribe }));
}

export function sharedStoreContract(name: string, setup: () => Promise<ContractSubject>): void {
  describe(`${name}: the shared store contract`, () => {
    let subject: ContractSubject;
    let store: SharedStore;
    let peer: SharedStore;
    beforeEach(async () => {
      subject = await setup();
      ({ store, peer } = subject);
    });
    afterEach(() => subject.close());

    describe('values', () => {
      it('when a value is set, then get answers it and a missing key answers undefined', async () => {
        await store.set('greeting', 'hello');
        assert.equal(await peer.get('greeting'), 'hello');
        assert.equal(await store.get('nobody'), undefined);
      });

      it('when a value has a ttl, then it is there until the ttl runs out and gone after', async () => {
        await store.set('short', 'lived', TTL);
        assert.equal(await store.get('short'), 'lived');
        await subject.advance(TTL * 1.5);
        assert.equal(await store.get('short'), undefined);
      });

      it('when a value is set again without a ttl, then its earlier expiry is gone', async () => {
        await store.set('kept', 'first', TTL);
        await store.set('kept', 'second');
        await subject.advance(TTL * 1.5);
        assert.equal(await store.get('kept'), 'second');
      });

      it('when 20 callers race for setIfAbsent, then exactly one wins and its value stays', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? peer : store).setIfAbsent('lock', `caller-${i}`, 10_000)),
        );
        const winners = results.flatMap((won, i) => (won ? [i] : []));
        assert.equal(winners.length, 1);
        assert.equal(await store.get('lock'), `caller-${winners[0]}`);
      });

      it('when calls are made together, then each sees what the ones made before it did', async () => {
        const [locked, read, deleted, readAfter] = await Promise.all([
          store.setIfAbsent('lock', 'mine', 10_000), store.get('lock'), store.delete('lock'), store.get('lock'),
        ]);
        assert.deepEqual([locked, read, deleted, readAfter], [true, 'mine', undefined, undefined]);
      });

      it('when the key set by setIfAbsent expires, then the next caller wins', async () => {
        assert.equal(await store.setIfAbsent('mark', 'a', TTL), true);
        assert.equal(await peer.setIfAbsent('mark', 'b', TTL), false);
        await subject.advance(TTL * 1.5);
        assert.equal(await peer.setIfAbsent('mark', 'c', TTL), true);
        assert.equal(await store.get('mark'), 'c');
      });

      it('when 20 callers take one value at once, then exactly one gets it and it is gone', async () => {
        await store.set('code', 'one-time', 10_000);
        const taken = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? peer : store).take('code')));
        assert.deepEqual(taken.filter((value) => value !== undefined), ['one-time']);
        assert.equal(await store.get('code'), undefined);
        assert.equal(await store.take('code'), undefined);
      });

      it('when a value’s expiry is extended, then it outlives its first ttl and keeps what another caller wrote since', async () => {
        await store.set('session', 'first', TTL);
        await peer.set('session', 'written by another request', TTL);
        await subject.advance(TTL * 0.6);
        assert.equal(await store.expire('session', TTL * 3), true);
        await subject.advance(TTL * 0.6);
        assert.equal(await store.get('session'), 'written by another request');
        await subject.advance(TTL * 3);
        assert.equal(await store.get('session'), undefined);
      });

      it('when a value is read with a new expiry, then it answers the value, outlives its first ttl and keeps what another caller wrote since', async () => {
        await store.set('session', 'first', TTL);
        await peer.set('session', 'written by another request', TTL);
        await subject.advance(TTL * 0.6);
        assert.equal(await store.getAndExpire('session', TTL * 3), 'written by another request');
        await subject.advance(TTL * 0.6);
        assert.equal(await peer.get('session'), 'written by another request');
        await subject.advance(TTL * 3);
        assert.equal(await store.get('session'), undefined);
      });

      it('when a missing or expired key is read with a new expiry, then it answers undefined and nothing is created', async () => {
        assert.equal(await store.getAndExpire('nobody', 10_000), undefined);
        await store.set('short', 'lived', TTL);
        await subject.advance(TTL * 1.5);
        assert.equal(await store.getAndExpire('short', 10_000), undefined);
        assert.equal(await peer.get('nobody'), undefined);
        assert.equal(await peer.get('short'), undefined);
      });

      it('when a missing key’s expiry is extended, then it answers false and nothing is created', async () => {
        assert.equal(await store.expire('nobody', 10_000), false);
        assert.equal(await store.get('nobody'), undefined);
      });

      it('when a hash’s expiry is extended, then the whole hash lives on', async () => {
        await store.hashSet('h', 'f', 'v', TTL);
        assert.equal(await peer.expire('h', TTL * 3), true);
        await subject.advance(TTL * 1.5);
        assert.equal(await store.hashGet('h', 'f'), 'v');
      });

      it('when several keys of every kind are deleted at once, then all are gone', async () => {
        await store.set('a', '1');
        await store.hashSet('h', 'f', 'v');
        await store.delete('a', 'h', 'never-there');
        assert.equal(await store.get('a'), undefined);
        assert.equal((await store.hashGetAll('h')).size, 0);
        await store.delete();
      });
    });

    it('when a key holding one kind is used as another, then the call fails instead of answering nonsense', async () => {
      await store.hashSet('h', 'f', 'v');
      await assert.rejects(store.get('h'));
      assert.equal(await store.hashGet('h', 'f'), 'v');
    });

    describe('hashes', () => {
      it('when fields are named like Object.prototype members, then they are stored and read like any other', async () => {
        for (const field of ['__proto__', 'constructor', 'toString']) await store.hashSet('user', field, `value of ${field}`);
        const all = await peer.hashGetAll('user');
        assert.ok(all instanceof Map);
        assert.deepEqual(
          [...all].sort(([a], [b]) => a.localeCompare(b)),
          [['__proto__', 'value of __proto__'], ['constructor', 'value of constructor'], ['toString', 'value of toString']],
        );
        assert.equal(await store.hashGet('user', '__proto__'), 'value of __proto__');
        assert.equal(await store.hashGet('user', 'hasOwnProperty'), undefined);
        assert.equal(await store.hashGet('nobody', 'toString'), undefined);
      });

      it('when a field is set again, then it is replaced and the others stay', async () => {
        await store.hashSet('user', 'a', '1');
        await store.hashSet('user', 'b', '2');
        await store.hashSet('user', 'a', '3');
        assert.deepEqual(await store.hashGetAll('user'), new Map([['a', '3'], ['b', '2']]));
      });

      it('when fields are deleted, then it answers how many existed, and the last one deletes the hash', async () => {
        await store.hashSet('user', 'a', '1');
        await store.hashSet('user', 'b', '2');
        assert.equal(await peer.hashLength('user'), 2);
        assert.equal(await store.hashDelete('user', 'a', 'missing'), 1);
        assert.equal(await store.hashLength('user'), 1);
        assert.deepEqual(await store.hashGetAll('user'), new Map([['b', '2']]));
        assert.equal(await store.hashDelete('user', 'b'), 1);
        assert.equal(await store.hashDelete('user', 'b'), 0);
        assert.equal(await store.hashDelete('user'), 0);
        // A hash that no longer exists can be a plain value again.
        await store.set('user', 'plain');
        assert.equal(await store.get('user'), 'plain');
      });

      it('when a field is set with a ttl, then the whole hash expires, and a later set without one keeps that expiry', async () => {
        await store.hashSet('session', 'a', '1', TTL);
        await store.hashSet('session', 'b', '2');
        assert.equal((await store.hashGetAll('session')).size, 2);
        await subject.advance(TTL * 1.5);
        assert.equal((await store.hashGetAll('session')).size, 0);
        assert.equal(await store.hashGet('session', 'a'), undefined);
      });

      it('when a field is set with a ttl again, then the expiry of the whole hash starts over', async () => {
        await store.hashSet('session', 'a', '1', TTL);
        await subject.advance(TTL * 0.6);
        await store.hashSet('session', 'b', '2', TTL);
        await subject.advance(TTL * 0.6);
        assert.deepEqual(await store.hashGetAll('session'), new Map([['a', '1'], ['b', '2']]));
        await subject.advance(TTL);
        assert.equal((await store.hashGetAll('session')).size, 0);
      });
    });

    describe('notifications', () => {
      it('when a message is published, then a subscriber of the channel on the other handle hears it', async () => {
        const other = await nextMessage(peer, 'progress');
        const elsewhere: string[] = [];
        const unsubscribeElsewhere = await peer.subscribe('other-channel', (message) => elsewhere.push(message));
        await store.publish('progress', 'item 1 copied');
        assert.equal(await other.message, 'item 1 copied');
        assert.deepEqual(elsewhere, []);
        await other.unsubscribe();
        await unsubscribeElsewhere();
      });

      it('when one listener unsubscribes, then it hears no more and the others on the channel still do', async () => {
        const gone: string[] = [];
        const unsubscribeGone = await peer.subscribe('progress', (message) => gone.push(message));
        const stays = await nextMessage(peer, 'progress');
        await unsubscribeGone();
        await store.publish('progress', 'after');
        assert.equal(await stays.message, 'after');
        assert.deepEqual(gone, []);
        await stays.unsubscribe();
      });

      it('when a listener throws, then the other listeners still hear that message and the next', async () => {
        const unsubscribeThrower = await peer.subscribe('progress', () => {
          throw new Error('listener bug');
        });
        const heard: string[] = [];
        let second!: () => void;
        const heardTwo = new Promise<void>((resolve) => (second = resolve));
        const unsubscribe = await peer.subscribe('progress', (message) => {
          heard.push(message);
          if (heard.length === 2) second();
        });
        await store.publish('progress', 'one');
        await store.publish('progress', 'two');
        await heardTwo;
        assert.deepEqual(heard, ['one', 'two']);
        await unsubscribeThrower();
        await unsubscribe();
      });
    });

    it('when the store is asked whether it works, then it answers true', async () => {
      assert.equal(await store.ping(), true);
    });
  });
}
