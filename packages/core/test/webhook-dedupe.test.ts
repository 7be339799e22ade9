import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventDeduplicator, MemoryDedupeStore, dedupeKey, type DedupeStore } from '../src/webhook/dedupe';
import { parseWebhook } from '../src/webhook/parse';

const fixture = (file: string) => parseWebhook(readFileSync(join(__dirname, 'fixtures', 'webhooks', file)));
const DAY = 24 * 60 * 60 * 1000;

describe('EventDeduplicator', () => {
  it('passes events once; a redelivered POST yields nothing', async () => {
    const dedupe = new EventDeduplicator();
    const events = fixture('DERIVED-batched-three-statuses-one-change.json');
    expect(await dedupe.filter(events)).toHaveLength(3);
    expect(await dedupe.filter(fixture('DERIVED-batched-three-statuses-one-change.json'))).toEqual([]);
  });

  it('release: events whose hand-over failed are new again (Meta\'s redelivery is handled), the others stay seen', async () => {
    const dedupe = new EventDeduplicator(new MemoryDedupeStore(), { scope: 'trigger-1' });
    const events = fixture('DERIVED-batched-three-statuses-one-change.json');
    expect(await dedupe.filter(events)).toHaveLength(3);
    await dedupe.release(events.slice(0, 1));
    expect(await dedupe.filter(fixture('DERIVED-batched-three-statuses-one-change.json'))).toEqual(events.slice(0, 1));
  });

  it('keys statuses by id + status: delivered after sent is new', async () => {
    const dedupe = new EventDeduplicator();
    const [sent] = fixture('status-sent-pmp-marketing.json');
    const delivered = { ...sent!, status: 'delivered' } as typeof sent;
    expect(await dedupe.filter([sent!])).toHaveLength(1);
    expect(await dedupe.filter([delivered!, sent!])).toEqual([delivered]);
  });

  it('keys messages by wamid (the same id twice in one POST is one message)', async () => {
    const events = fixture('DERIVED-batched-two-entries-mixed-fields.json');
    const fresh = await new EventDeduplicator().filter(events);
    // The derived sample reuses one wamid for two messages: by id they are one message.
    expect(fresh.map((e) => e.kind)).toEqual(['message', 'template_status']);
  });

  it('keys timed account events by content + time; a new time is a new event', async () => {
    const dedupe = new EventDeduplicator();
    const [approved] = fixture('template-status-approved.json');
    expect(await dedupe.filter([approved!])).toHaveLength(1);
    expect(await dedupe.filter(fixture('template-status-approved.json'))).toHaveLength(0);
    const later = { ...approved!, entryTime: new Date(approved!.kind === 'template_status' ? approved.entryTime!.getTime() + 1000 : 0) };
    expect(await dedupe.filter([later])).toHaveLength(1);
  });

  it('never drops events without an id or time (value errors): they cannot be told from a real repeat', async () => {
    const dedupe = new EventDeduplicator();
    const [error] = fixture('value-errors-130429.json');
    expect(dedupeKey(error!)).toBeUndefined();
    expect(await dedupe.filter([error!, error!])).toHaveLength(2);
  });

  it('keys of different phone numbers do not collide', () => {
    const [a] = fixture('msg-text.json');
    const b = { ...a!, phoneNumberId: '999' } as typeof a;
    expect(dedupeKey(a!)).not.toBe(dedupeKey(b!));
  });

  it('uses the injected store with the TTL', async () => {
    const calls: Array<[string, number]> = [];
    const store: DedupeStore = { markIfNew: async (key, ttl) => (calls.push([key, ttl]), true) };
    await new EventDeduplicator(store, { ttlMs: 1234 }).filter(fixture('msg-text.json'));
    expect(calls).toEqual([['m:106540352242922:wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', 1234]]);
  });
});

describe('MemoryDedupeStore', () => {
  it('expires keys after the TTL (default 7 days)', async () => {
    let now = 1_000_000;
    const store = new MemoryDedupeStore({ now: () => now });
    const dedupe = new EventDeduplicator(store);
    const events = fixture('msg-text.json');
    expect(await dedupe.filter(events)).toHaveLength(1);
    now += 7 * DAY - 1;
    expect(await dedupe.filter(events)).toHaveLength(0);
    now += 2;
    expect(await dedupe.filter(events)).toHaveLength(1);
  });

  it('is bounded: the oldest keys go first', async () => {
    const store = new MemoryDedupeStore({ maxEntries: 100 });
    for (let i = 0; i < 1000; i++) expect(await store.markIfNew(`k${i}`, DAY)).toBe(true);
    expect(store.size).toBeLessThanOrEqual(101);
    expect(await store.markIfNew('k999', DAY)).toBe(false);
    expect(await store.markIfNew('k0', DAY)).toBe(true);
  });

  it('two concurrent marks of one key: exactly one wins', async () => {
    const store = new MemoryDedupeStore();
    const results = await Promise.all([store.markIfNew('x', DAY), store.markIfNew('x', DAY)]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});
