import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ImportRecord } from '../../src/domain/imports.ts';
import type { PickRequest } from '../../src/domain/pick-requests.ts';
import { Picks, type Pick } from '../../src/domain/picks.ts';
import { connectUser, domainFixture, type DomainFixture } from './fakes.ts';

const request: PickRequest = {
  app: { id: 'shop', name: 'Print Shop', secrets: [], returnOrigins: ['https://app.example'], maxItems: 10 },
  sub: 'customer-1',
  returnTo: new URL('https://app.example/back'),
  maxItems: 5,
  state: 'order-7',
  account: 'ana@printshop',
};

const finished = (sessionId: string): ImportRecord => ({
  pickingSessionId: sessionId, owner: 'apps/shop/x', folder: 'apps/shop/x/p', createdAt: new Date().toISOString(), completedAt: new Date().toISOString(), status: 'done', items: [], manifestKey: null,
});

describe('picks', () => {
  let fixture: DomainFixture;
  let picks: Picks;
  let told: Pick[];

  beforeEach(async () => {
    fixture = await domainFixture();
    await connectUser(fixture.accounts, 'alice');
    told = [];
    fixture.events.subscribe(async (event) => void (event.type === 'pick-ended' && told.push(event.pick)));
    picks = new Picks({ store: fixture.store, sessions: fixture.sessions, events: fixture.events });
  });
  afterEach(() => fixture.close());

  it('when a pick is started from embed.js, then it remembers it is a popup; otherwise it is not', async () => {
    assert.equal((await picks.get((await picks.create(request, { popup: true })).id))?.popup, true);
    assert.equal((await picks.get((await picks.create(request)).id))?.popup, false);
  });

  it('when a pick is created, then only the browser given its key has it: no key, another pick\'s key or a made-up one is refused', async () => {
    const { id, browserKey } = await picks.create(request);
    const other = await picks.create(request);
    assert.equal((await picks.ofBrowser(id, browserKey)).account, 'ana@printshop');
    for (const key of [undefined, '', other.browserKey, `${browserKey}x`, browserKey.slice(1)]) {
      await assert.rejects(picks.ofBrowser(id, key), (error: unknown) => (error as { status?: number; code?: string }).status === 403 && (error as { code: string }).code === 'PICK_NOT_THIS_BROWSER', String(key));
    }
    await assert.rejects(picks.ofBrowser('AAAAAAAAAAAAAAAAAAAAAA', browserKey), (error: unknown) => (error as { status?: number }).status === 404);
  });

  it('when a pick is stored, then its browser\'s key is not: only a hash of it, which does not open the pick', async () => {
    const { id, browserKey } = await picks.create(request);
    const stored = [...(await fixture.store.hashGetAll(`pick:${id}`)).values()].join(' ');
    assert.ok(!stored.includes(browserKey));
    const hash = (await fixture.store.hashGet(`pick:${id}`, 'browser'))!;
    await assert.rejects(picks.ofBrowser(id, hash), /another browser/);
  });

  it('when a pick\'s session is imported, then it goes to a folder named by the pick id under the app\'s user, not by Google\'s session id; a person\'s own session has no such place', async () => {
    const { id } = await picks.create(request);
    const session = await picks.begin(id, 'alice');
    const pick = (await picks.get(id))!;
    assert.deepEqual(await picks.placeOf(session.id), { owner: `apps/shop/${pick.userRef}`, folder: `apps/shop/${pick.userRef}/${id}`, pick: id });
    assert.equal(await picks.placeOf((await fixture.sessions.create('alice', {})).id), undefined);
  });

  it('when the user cancels while the import ends, then the pick ends once, as whichever came first, and the app hears of it once', async () => {
    const { id } = await picks.create(request);
    const session = await picks.begin(id, 'alice');
    const [cancelled, imported] = await Promise.all([picks.cancel(id, 'alice'), picks.importFinished(session.id, finished(session.id)).then(() => picks.get(id))]);
    assert.equal(told.length, 1);
    assert.equal(cancelled.status, told[0]!.status, 'the loser answers the winner\'s outcome');
    assert.equal(imported!.status, told[0]!.status);
  });

  it('when a pick is cancelled while its user picks, then its Picker session is deleted at Google', async () => {
    const { id } = await picks.create(request);
    const session = await picks.begin(id, 'alice');
    const ended = await picks.cancel(id, 'alice');
    assert.equal(ended.status, 'cancelled');
    assert.equal(fixture.google.count('delete', session.id), 1);
    assert.equal(told[0]?.status, 'cancelled');
  });

  it('when the Picker session of a pick being imported is deleted, then the pick ends cancelled at once and the app hears of it once', async () => {
    const { id } = await picks.create(request);
    const session = await picks.begin(id, 'alice');
    await picks.importStarted(session.id);
    await picks.sessionDeleted(session.id);
    assert.equal((await picks.get(id))?.status, 'cancelled');
    await picks.importFinished(session.id, finished(session.id));
    assert.equal((await picks.get(id))?.status, 'cancelled', 'the import\'s end comes too late to change it');
    assert.deepEqual(told.map((pick) => pick.status), ['cancelled', 'cancelled'], 'told again, as ended (the webhook is not sent twice: it is settled by then)');
  });

  it('when a pick being imported is cancelled, then nothing changes: the import runs to its end', async () => {
    const { id } = await picks.create(request);
    const session = await picks.begin(id, 'alice');
    await picks.importStarted(session.id);
    assert.equal((await picks.cancel(id, 'alice')).status, 'importing');
    assert.equal(fixture.google.count('delete', session.id), 0);
    await picks.importFinished(session.id, finished(session.id));
    assert.deepEqual(told.map((pick) => pick.status), ['done']);
  });

  it('when an in-place popup\'s pick is begun, then its ticket opens it and nothing else does; the store keeps only its hash, and other picks have none', async () => {
    const { id } = await picks.create(request, { popup: true, inPlace: true });
    await picks.begin(id, 'alice');
    const ticket = (await picks.issueTicket(id))!;
    assert.match(ticket, /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await picks.ofTicket(id, ticket)).id, id);
    const stored = [...(await fixture.store.hashGetAll(`pick:${id}`)).values()].join(' ');
    assert.ok(!stored.includes(ticket));
    const hash = (await fixture.store.hashGet(`pick:${id}`, 'ticket'))!;
    for (const wrong of [undefined, '', hash, `${ticket}x`, ticket.slice(1)]) {
      await assert.rejects(picks.ofTicket(id, wrong), (error: unknown) => (error as { status?: number }).status === 404, String(wrong));
    }
    await assert.rejects(picks.ofTicket('AAAAAAAAAAAAAAAAAAAAAA', ticket), (error: unknown) => (error as { status?: number }).status === 404);
    assert.equal(await picks.issueTicket((await picks.create(request, { popup: true })).id), undefined, 'a v1 popup\'s pick');
    assert.equal(await picks.issueTicket((await picks.create(request, { inPlace: true })).id), undefined, 'a full page\'s pick');
  });

  it('when a pick is settled after its popup closed with nothing picked, then it ends cancelled, once, and its Picker session is deleted at Google', async () => {
    const { id } = await picks.create(request, { popup: true, inPlace: true });
    const session = await picks.begin(id, 'alice');
    const pick = (await picks.get(id))!;
    const [first, second] = await Promise.all([picks.settle(pick), picks.settle(pick)]);
    assert.equal((await picks.get(id))?.status, 'cancelled');
    assert.ok([first.status, second.status].includes('cancelled'));
    assert.equal(fixture.google.count('get', session.id), 1, 'Google is asked once');
    assert.equal(fixture.google.count('delete', session.id), 1);
    assert.deepEqual(told.map((ended) => ended.status), ['cancelled']);
  });

  it('when a pick is settled after Done, then it is not cancelled: the import the completion starts goes on', async () => {
    const { id } = await picks.create(request, { popup: true, inPlace: true });
    const session = await picks.begin(id, 'alice');
    fixture.google.complete(session.id);
    assert.equal((await picks.settle((await picks.get(id))!)).status, 'picking');
    assert.equal(fixture.google.count('delete', session.id), 0);
    assert.deepEqual(told, []);
  });
});
