import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { WhatsAppClient } from '../src/client';
import { GraphApiError } from '../src/errors/error-classes';
import { isWhatsAppError, WhatsAppError } from '../src/errors/whatsapp-error';
import { QualityGuardError } from '../src/quality/quality-error';
import { QUALITY_MAX_HOLD_MS, QualityGuard, resolveQualityRules, type QualityChange, type QualityOptions } from '../src/quality/quality-guard';
import { handleWebhookPost } from '../src/webhook/handle';
import type { InboundEvent } from '../src/webhook/types';
import { WindowTracker } from '../src/window/window-tracker';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const USER = '+15551230001';
const OTHER = '+15551230002';
const SALE = [
  { type: 'body', parameters: [{ type: 'text', text: '20%' }] },
  { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'spring' }] },
];

/** A clock that moves only when the test says (shared by the sandbox, the guard and the window tracker). */
function manualClock(start = Date.now()) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

interface Rig {
  sb: Sandbox;
  guard: QualityGuard;
  tracker: WindowTracker;
  events: InboundEvent[];
  changes: QualityChange[];
  clock: ReturnType<typeof manualClock>;
  client(quality?: Omit<QualityOptions, 'guard'>, extra?: { wabaId?: string | null }): WhatsAppClient;
  /** POST /messages the sandbox received. */
  sends(): number;
  close(): Promise<void>;
}

/** The sandbox, a webhook receiver that runs handleWebhookPost with the guard, and clients on one guard. */
async function rig(options: Parameters<typeof startSandbox>[0] = {}): Promise<Rig> {
  const clock = manualClock();
  const sb = await startSandbox({ statusDelaysMs: { sent: 5, delivered: 10, read: 15 }, now: clock.now, ...options });
  const changes: QualityChange[] = [];
  const guard = new QualityGuard({ now: clock.now, onChange: (c) => changes.push(c) });
  const tracker = new WindowTracker(undefined, clock.now);
  const events: InboundEvent[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handleWebhookPost({ rawBody: Buffer.concat(chunks), headers: req.headers, appSecret: sb.appSecret, windowTracker: tracker, qualityGuard: guard })
        .then(({ events: got }) => {
          events.push(...got);
          res.writeHead(200).end();
        })
        .catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  sb.setWebhookUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`);
  const clients: WhatsAppClient[] = [];
  return {
    sb,
    guard,
    tracker,
    events,
    changes,
    clock,
    client(quality = {}, extra = {}) {
      const c = new WhatsAppClient({
        accessToken: sb.accessToken,
        phoneNumberId: sb.phoneNumberId,
        wabaId: extra.wabaId === null ? undefined : (extra.wabaId ?? sb.wabaId),
        baseUrl: sb.url,
        retry: { baseDelayMs: 5, maxDelayMs: 20 },
        window: { tracker },
        quality: { ...quality, guard },
      });
      clients.push(c);
      return c;
    },
    sends: () => sb.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages')).length,
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await sb.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}

async function refusal(promise: Promise<unknown>): Promise<QualityGuardError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(QualityGuardError);
    expect(isWhatsAppError(error)).toBe(true);
    return error as QualityGuardError;
  }
  throw new Error('expected the quality guard to refuse the send');
}

async function failure(promise: Promise<unknown>): Promise<GraphApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GraphApiError);
    return error as GraphApiError;
  }
  throw new Error('expected a Graph error');
}

const failedWith = (r: Rig, code: number) => () => r.events.some((e) => e.kind === 'status' && e.status === 'failed' && e.errors.some((x) => x.graphCode === code));

describe('quality guard: suppression of undeliverable recipients (131026)', () => {
  test('a 131026 on the status webhook suppresses the recipient for 7 days: refused before any request, then sent again', async () => {
    const r = await rig({ undeliverable: ['15551230001'] });
    try {
      const client = r.client();
      await client.sendTemplate(USER, 'hello_world', 'en_US');
      await r.sb.waitFor(failedWith(r, 131026));
      const before = r.sends();
      const error = await refusal(client.sendTemplate(USER, 'hello_world', 'en_US'));
      expect(error).toMatchObject({ code: 'recipient_suppressed', category: 'recipient', retryable: false, recipient: USER });
      expect(error.message).toMatch(/131026/);
      expect(error.hint).toMatch(/quality\.suppressUndeliverable: false/);
      expect(error.until!.getTime()).toBeGreaterThanOrEqual(r.clock.now() + 7 * DAY - 1000);
      expect(error.toJSON()).toMatchObject({ code: 'recipient_suppressed', until: error.until!.toISOString() });
      await r.tracker.recordInbound(r.sb.phoneNumberId, '15551230001'); // an open window does not lift it (only the user writing does)
      await refusal(client.sendText('+1 555 123 0001', 'hi')); // any message type, any spelling of the number
      expect(r.sends()).toBe(before);
      // Another recipient is not affected.
      await client.sendTemplate(OTHER, 'hello_world', 'en_US');
      expect(r.sends()).toBe(before + 1);
      r.clock.advance(7 * DAY + 1000);
      await client.sendTemplate(USER, 'hello_world', 'en_US');
      expect(r.sends()).toBe(before + 2);
    } finally {
      await r.close();
    }
  });

  test('a synchronous 131026 suppresses too (custom cool-down); a message from the user lifts it; switch-off sends', async () => {
    const r = await rig();
    try {
      const client = r.client({ suppressUndeliverable: { coolDownMs: HOUR } });
      r.sb.failSends({ code: 131026, sync: true });
      expect(await failure(client.sendTemplate(USER, 'hello_world', 'en_US'))).toMatchObject({ graphCode: 131026 });
      const before = r.sends();
      const error = await refusal(client.sendTemplate(USER, 'hello_world', 'en_US'));
      expect(error.until!.getTime()).toBe(r.clock.now() + HOUR);
      expect(r.sends()).toBe(before);

      const off = r.client({ suppressUndeliverable: false });
      await off.sendTemplate(USER, 'hello_world', 'en_US');
      expect(r.sends()).toBe(before + 1);

      await r.sb.inbound({ from: '15551230001', text: 'it is me' });
      await r.sb.waitFor(() => r.events.some((e) => e.kind === 'message'));
      await client.sendText(USER, 'welcome back');
      expect(r.sends()).toBe(before + 2);
    } finally {
      await r.close();
    }
  });

  test('quality.enabled: false switches every rule off', async () => {
    const r = await rig();
    try {
      await r.guard.suppress(r.sb.phoneNumberId, USER);
      await r.guard.optOut(r.sb.phoneNumberId, USER);
      await r.guard.setRating(r.sb.phoneNumberId, 'RED');
      const client = r.client({ enabled: false });
      await client.sendTemplate(USER, 'spring_sale', 'en', SALE);
      expect(r.sends()).toBe(1);
      await refusal(r.client().sendTemplate(USER, 'hello_world', 'en_US'));
    } finally {
      await r.close();
    }
  });
});

describe('quality guard: marketing opt-out', () => {
  test('user_preferences "stop" refuses MARKETING templates (utility still goes); the category is read once; "resume" lifts it', async () => {
    const r = await rig();
    try {
      const client = r.client();
      await r.sb.setMarketingPreference(USER, 'stop');
      await r.sb.waitFor(() => r.events.some((e) => e.kind === 'user_preferences'));
      const error = await refusal(client.sendTemplate(USER, 'spring_sale', 'en', SALE));
      expect(error).toMatchObject({ code: 'marketing_opted_out', category: 'recipient', recipient: USER });
      expect(error.hint).toMatch(/utility or authentication templates/);
      expect(error.hint).toMatch(/quality\.respectMarketingOptOut: false/);
      await refusal(client.sendTemplate(USER, 'spring_sale', 'en', SALE));
      expect(r.sends()).toBe(0);
      const lookups = r.sb.requests.filter((q) => q.method === 'GET' && q.path.endsWith('/message_templates'));
      expect(lookups).toHaveLength(1); // cached for the second refusal
      expect(lookups[0]!.query).toMatchObject({ name: 'spring_sale', language: 'en' });

      await client.sendTemplate(USER, 'hello_world', 'en_US'); // UTILITY
      await client.sendTemplate(OTHER, 'spring_sale', 'en', SALE); // another user
      expect(r.sends()).toBe(2);

      await r.sb.setMarketingPreference(USER, 'resume');
      await r.sb.waitFor(() => r.events.filter((e) => e.kind === 'user_preferences').length === 2);
      await client.sendTemplate(USER, 'spring_sale', 'en', SALE);
      expect(r.sends()).toBe(3);
    } finally {
      await r.close();
    }
  });

  test('a 131050 on the status webhook marks the opt-out; respectMarketingOptOut: false sends anyway', async () => {
    const r = await rig();
    try {
      await r.sb.setMarketingPreference(USER, 'stop', { webhook: false }); // a receiver not subscribed to user_preferences
      const client = r.client();
      await client.sendTemplate(USER, 'spring_sale', 'en', SALE);
      await r.sb.waitFor(failedWith(r, 131050));
      await refusal(client.sendTemplate(USER, 'spring_sale', 'en', SALE));
      expect(r.sends()).toBe(1);
      await r.client({ respectMarketingOptOut: false }).sendTemplate(USER, 'spring_sale', 'en', SALE);
      expect(r.sends()).toBe(2);
    } finally {
      await r.close();
    }
  });

  test('without a WABA ID the category cannot be read: every template to an opted-out user is refused, saying why', async () => {
    const r = await rig();
    try {
      await r.guard.optOut(r.sb.phoneNumberId, USER);
      const client = r.client({}, { wabaId: null });
      const error = await refusal(client.sendTemplate(USER, 'hello_world', 'en_US'));
      expect(error.code).toBe('marketing_opted_out');
      expect(error.message).toMatch(/no WABA ID is set, so it is treated as marketing/);
      expect(error.hint).toMatch(/Set the WhatsApp Business Account ID/);
      await client.sendTemplate(OTHER, 'hello_world', 'en_US'); // users without a marketing record are not affected
      expect(r.sends()).toBe(1);
      expect(r.sb.requests.some((q) => q.path.endsWith('/message_templates'))).toBe(false);
    } finally {
      await r.close();
    }
  });
});

describe('quality guard: no aggressive retries', () => {
  test('131049 (per-user marketing limit): marketing to that user waits 24 h; utility goes; marketingCoolDownMs: 0 sends', async () => {
    const r = await rig();
    try {
      const client = r.client();
      r.sb.failSends({ code: 131049, to: USER, category: 'MARKETING' });
      await client.sendTemplate(USER, 'spring_sale', 'en', SALE);
      await r.sb.waitFor(failedWith(r, 131049));
      const error = await refusal(client.sendTemplate(USER, 'spring_sale', 'en', SALE));
      expect(error).toMatchObject({ code: 'marketing_cooling_down', category: 'recipient', retryable: true });
      expect(error.until!.getTime()).toBeGreaterThanOrEqual(r.clock.now() + DAY - 1000);
      expect(error.hint).toMatch(/quality\.marketingCoolDownMs: 0/);
      expect(r.sends()).toBe(1);
      await client.sendTemplate(USER, 'hello_world', 'en_US');
      expect(r.sends()).toBe(2);
      await r.client({ marketingCoolDownMs: 0 }).sendTemplate(USER, 'spring_sale', 'en', SALE);
      expect(r.sends()).toBe(3);
      r.clock.advance(DAY);
      await client.sendTemplate(USER, 'spring_sale', 'en', SALE);
      expect(r.sends()).toBe(4);
    } finally {
      await r.close();
    }
  });

  test('131048 (spam rate limit) pauses the number\'s marketing sends, says why, shows in status; spamPauseMs: 0 sends; resumeMarketing lifts', async () => {
    const r = await rig();
    try {
      const client = r.client();
      r.sb.failSends({ code: 131048, sync: true, category: 'MARKETING' });
      expect(await failure(client.sendTemplate(USER, 'spring_sale', 'en', SALE))).toMatchObject({ graphCode: 131048 });
      expect(r.changes).toEqual([expect.objectContaining({ kind: 'marketing_paused', phoneNumberId: r.sb.phoneNumberId, message: expect.stringMatching(/spam risk \(131048\)/) })]);
      const before = r.sends();
      const error = await refusal(client.sendTemplate(OTHER, 'spring_sale', 'en', SALE)); // every recipient
      expect(error).toMatchObject({ code: 'marketing_paused', category: 'rate_limit', retryable: true });
      expect(error.message).toMatch(/131048/);
      expect(r.sends()).toBe(before);
      const status = await client.qualityStatus();
      expect(status.marketingPausedUntil!.getTime()).toBe(r.clock.now() + DAY);
      expect(status.notes.join(' ')).toMatch(/paused until/);
      await client.sendTemplate(OTHER, 'hello_world', 'en_US');
      await r.client({ spamPauseMs: 0 }).sendTemplate(OTHER, 'spring_sale', 'en', SALE);
      expect(r.sends()).toBe(before + 2);
      await r.guard.resumeMarketing(r.sb.phoneNumberId);
      await client.sendTemplate(OTHER, 'spring_sale', 'en', SALE);
      expect(r.sends()).toBe(before + 3);
    } finally {
      await r.close();
    }
  });

  test('a redelivered old failure records only what is left of the hold', async () => {
    const clock = manualClock();
    const guard = new QualityGuard({ now: clock.now });
    const at = new Date(clock.now() - 8 * DAY);
    expect(await guard.recordFailure('1', USER, 131026, { at })).toBe(false);
    expect(await guard.recordFailure('1', USER, 131049, { at: new Date(clock.now() - HOUR) })).toBe(true);
    expect(await guard.recordFailure('1', USER, 131047)).toBe(false);
  });
});

describe('quality guard: quality-aware pacing and RED', () => {
  test('a health check showing YELLOW halves the attached limiter\'s throughput, tells the user, and shows in status; GREEN restores', async () => {
    const r = await rig();
    try {
      const client = r.client({ yellowThroughputFactor: 0.25 });
      const factor = jest.spyOn(client.limiter, 'setThroughputFactor' as never);
      expect((await client.health()).guard).toMatchObject({ rating: 'GREEN', throughputFactor: 1, notes: [] });
      expect(r.changes).toEqual([]); // the first rating learned is news only when it is not green
      await r.sb.setQualityRating('YELLOW');
      const health = await client.health();
      expect(health.qualityRating).toBe('YELLOW');
      expect(health.advice).toEqual([expect.objectContaining({ field: 'qualityRating', value: 'YELLOW', level: 'warn' })]);
      expect(health.guard).toMatchObject({ rating: 'YELLOW', throughputFactor: 0.25, tier: 'TIER_2K' });
      expect(health.guard!.notes[0]).toMatch(/YELLOW.*25% of the throughput/);
      expect(factor).toHaveBeenLastCalledWith(0.25);
      expect(r.changes).toEqual([expect.objectContaining({ kind: 'rating', rating: 'YELLOW', previousRating: 'GREEN', throughputFactor: 0.25, message: expect.stringMatching(/slowed to 25%/) })]);
      await client.sendTemplate(USER, 'hello_world', 'en_US'); // YELLOW slows, never refuses
      await r.sb.setQualityRating('GREEN');
      await client.health();
      expect(factor).toHaveBeenLastCalledWith(1);
      expect(r.changes.at(-1)).toMatchObject({ rating: 'GREEN', message: expect.stringMatching(/full throughput/) });
    } finally {
      await r.close();
    }
  });

  test('FLAGGED (RED) stops templates to closed windows before any request; replies and open windows go; allowSendsWhenRed; UNFLAGGED lifts', async () => {
    const r = await rig();
    try {
      const client = r.client();
      await r.sb.inbound({ from: '15551230002', text: 'hello' }); // OTHER's window is open (and tells the guard the display number)
      await r.sb.waitFor(() => r.events.some((e) => e.kind === 'message'));
      await r.sb.setQualityRating('RED');
      await r.sb.waitFor(() => r.events.some((e) => e.kind === 'phone_quality'));
      expect(r.changes.at(-1)).toMatchObject({ kind: 'rating', rating: 'RED', message: expect.stringMatching(/flagged/) });
      const error = await refusal(client.sendTemplate(USER, 'hello_world', 'en_US'));
      expect(error).toMatchObject({ code: 'number_quality_red', category: 'policy', retryable: false });
      expect(error.hint).toMatch(/quality\.allowSendsWhenRed: true/);
      expect(r.sends()).toBe(0);
      await client.sendText(OTHER, 'a reply inside the window');
      await client.sendTemplate(OTHER, 'hello_world', 'en_US');
      expect(r.sends()).toBe(2);
      await r.client({ allowSendsWhenRed: true }).sendTemplate(USER, 'hello_world', 'en_US');
      expect(r.sends()).toBe(3);
      expect((await client.qualityStatus()).notes.join(' ')).toMatch(/RED/);
      await r.sb.setQualityRating('YELLOW'); // UNFLAGGED: no longer RED, colour unknown until a health check
      await r.sb.waitFor(() => r.events.filter((e) => e.kind === 'phone_quality').length === 2);
      expect((await client.qualityStatus()).rating).toBe('UNKNOWN');
      await client.sendTemplate(USER, 'hello_world', 'en_US');
      expect(r.sends()).toBe(4);
    } finally {
      await r.close();
    }
  });

  test('phone_number_quality_update carries the messaging limit tier to the status display', async () => {
    const r = await rig();
    try {
      const client = r.client(); // the only number this guard serves: the event's display number maps to it
      await r.sb.emit('phone_number_quality_update', { display_phone_number: r.sb.displayPhoneNumber, event: 'DOWNGRADE', old_limit: 'TIER_2K', max_daily_conversations_per_business: 'TIER_250' });
      await r.sb.waitFor(() => r.events.some((e) => e.kind === 'phone_quality'));
      const status = await client.qualityStatus();
      expect(status).toMatchObject({ tier: 'TIER_250', rating: 'UNKNOWN', throughputFactor: 1 });
      expect(status.notes.join(' ')).toMatch(/TIER_250/);
    } finally {
      await r.close();
    }
  });
});

describe('QualityGuardError hints', () => {
  const switches = {
    recipient_suppressed: 'A',
    marketing_opted_out: 'Opt-Out: off',
    marketing_cooling_down: 'C',
    marketing_paused: 'D',
    number_quality_red: 'E',
  } as const;

  test('hintOf names an adapter\'s switch for a refusal, also one made by another copy of core; other hints stay', () => {
    const refusal = new QualityGuardError('marketing_opted_out', 'Not sent', 'Utility only.');
    expect(QualityGuardError.hintOf(refusal, switches)).toBe('Utility only. To send anyway, switch the rule off (Opt-Out: off).');
    // Another bundle's class: same name and shape, not this class (the process-wide guard may be the trigger's).
    const foreign = Object.assign(new WhatsAppError('Not sent', { code: 'marketing_opted_out', category: 'recipient', hint: 'core hint' }), {
      name: 'QualityGuardError',
      hintWithSwitch: (name: string) => `Utility only. (${name})`,
    });
    expect(QualityGuardError.hintOf(foreign, switches)).toBe('Utility only. (Opt-Out: off)');
    const other = new WhatsAppError('Down', { code: 'network_error', category: 'network', hint: 'Retry later.' });
    expect(QualityGuardError.hintOf(other, switches)).toBe('Retry later.');
  });

  test('name core\'s option by default, and whatever switch an adapter names', () => {
    const error = new QualityGuardError('marketing_opted_out', 'Not sent', 'Send them utility templates only.', { recipient: '+15550001' });
    expect(error.hint).toBe('Send them utility templates only. To send anyway, switch the rule off (quality.respectMarketingOptOut: false).');
    expect(error.hintWithSwitch('Quality Guard → Respect Marketing Opt-Out: off')).toBe(
      'Send them utility templates only. To send anyway, switch the rule off (Quality Guard → Respect Marketing Opt-Out: off).',
    );
  });
});

describe('resolveQualityRules limits', () => {
  test('a hold from 0 to 365 days is taken; longer, negative or not a number is refused naming the option', () => {
    expect(resolveQualityRules({ marketingCoolDownMs: 0, spamPauseMs: QUALITY_MAX_HOLD_MS })).toMatchObject({ marketingCoolDownMs: 0, spamPauseMs: QUALITY_MAX_HOLD_MS });
    for (const [options, field] of [
      [{ spamPauseMs: QUALITY_MAX_HOLD_MS + 1 }, 'quality.spamPauseMs'],
      [{ marketingCoolDownMs: -1 }, 'quality.marketingCoolDownMs'],
      [{ suppressUndeliverable: { coolDownMs: Number.NaN } }, 'quality.suppressUndeliverable.coolDownMs'],
    ] as const) {
      expect(() => resolveQualityRules(options)).toThrow(expect.objectContaining({ code: 'invalid_option', message: expect.stringContaining(`${field}:`) }));
      expect(() => resolveQualityRules(options)).toThrow(/must be from 0 to 31536000000 milliseconds \(365 days\)/);
    }
  });
});
