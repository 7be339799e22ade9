import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWebhook } from '../src/webhook/parse';
import type { InboundEvent, InboundMessageEvent, InboundStatusEvent } from '../src/webhook/types';

const FIXTURES = join(__dirname, 'fixtures', 'webhooks');
/** Provenance of every sample file (vendored with them). */
const SOURCES = readFileSync(join(__dirname, 'fixtures', 'SOURCES.md'), 'utf8');

const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();
const load = (file: string): any => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));
const eventsOf = (file: string): InboundEvent[] => parseWebhook(readFileSync(join(FIXTURES, file)));
const onlyMessage = (file: string): InboundMessageEvent => {
  const events = eventsOf(file);
  expect(events).toHaveLength(1);
  expect(events[0]!.kind).toBe('message');
  return events[0] as InboundMessageEvent;
};

/** Counted independently of the parser: one item per message, status, error, preference, other change. */
function countItems(body: any): number {
  let count = 0;
  for (const entry of body.entry) {
    for (const change of entry.changes) {
      const v = change.value ?? {};
      if (change.field === 'messages') count += (v.messages?.length ?? 0) + (v.statuses?.length ?? 0) + (v.errors?.length ?? 0);
      else if (change.field === 'user_preferences') count += v.user_preferences.length;
      else count += 1;
    }
  }
  return count;
}

describe('webhook samples', () => {
  it('every sample file says where it comes from (fixtures/SOURCES.md)', () => {
    for (const file of files) expect(SOURCES).toContain(`webhooks/${file}`);
  });

  it('has the fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it.each(files)('%s: one event per item, each with kind, wabaId, raw', (file) => {
    const body = load(file);
    const events = eventsOf(file);
    expect(events).toHaveLength(countItems(body));
    const wabaIds = new Set<string>(body.entry.map((e: any) => e.id));
    for (const event of events) {
      expect(typeof event.kind).toBe('string');
      expect(wabaIds.has(event.wabaId)).toBe(true);
      expect(event.raw).toBeDefined();
      expect(event.kind).not.toBe('unknown');
      if (event.kind === 'message' || event.kind === 'status') expect(event.phoneNumberId).toMatch(/^\d+$/);
    }
  });

  it('parses the same body as a string, a Buffer and an object', () => {
    const text = readFileSync(join(FIXTURES, 'msg-text.json'), 'utf8');
    expect(parseWebhook(text)).toEqual(parseWebhook(Buffer.from(text)));
    expect(parseWebhook(JSON.parse(text))).toEqual(parseWebhook(text));
  });
});

describe('message events', () => {
  it('text', () => {
    const m = onlyMessage('msg-text.json');
    expect(m).toMatchObject({
      kind: 'message',
      field: 'messages',
      wabaId: '419561257915477',
      phoneNumberId: '106540352242922',
      displayPhoneNumber: '15550783881',
      messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
      from: '16505551234',
      contactName: 'Sheena Nelson',
      type: 'text',
      text: 'Does it come in another color?',
    });
    expect(m.timestamp).toEqual(new Date(1749416383 * 1000));
    expect(m.raw).toEqual(load('msg-text.json').entry[0].changes[0].value.messages[0]);
    expect(m.userId).toBeUndefined();
  });

  it('username-only user: from is "" and userId is the BSUID', () => {
    const m = onlyMessage('msg-text-username-bsuid-no-phone.json');
    expect(m.from).toBe('');
    expect(m.userId).toBe('user.93737...');
    expect(m.username).toBe('@realsheenanelson');
    expect(m.contactName).toBe('Sheena Nelson');
  });

  it('BSUID from contacts when the message has no from_user_id', () => {
    const m = onlyMessage('msg-audio-voice-bsuid.json');
    expect(m.userId).toBe('US.13491208655302741918');
    expect(m.media).toEqual({
      id: '1234567890987654321',
      mimeType: 'audio/ogg; codecs=opus',
      sha256: 'm04pFf2ERdaopTyFkGPA0+bX3i+YY2dYgVFwOgDLSDI=',
      voice: true,
    });
  });

  it('image with url and caption, document with filename, animated sticker', () => {
    expect(onlyMessage('msg-image-with-url.json').media).toEqual({
      id: '1003383421387256',
      mimeType: 'image/jpeg',
      sha256: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=',
      caption: 'Taj Mahal',
      url: 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=133...',
    });
    expect(onlyMessage('msg-document.json').media).toMatchObject({ filename: 'receipt.pdf', caption: 'my receipt', mimeType: 'application/pdf' });
    expect(onlyMessage('msg-sticker.json').media).toMatchObject({ mimeType: 'image/webp', animated: true });
  });

  it('button, list and template quick-reply answers share reply {id, title}', () => {
    const button = onlyMessage('msg-interactive-button-reply.json');
    expect(button.reply).toEqual({ id: 'cancel-button', title: 'Cancel' });
    expect(button.context).toEqual({ messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA', from: '15550783881' });
    expect(onlyMessage('msg-interactive-list-reply.json').reply).toEqual({
      id: 'priority_express',
      title: 'Priority Mail Express',
      description: 'Next Day to 2 Days',
    });
    expect(onlyMessage('msg-button-template-quick-reply.json').reply).toEqual({ id: 'Unsubscribe', title: 'Unsubscribe' });
  });

  it('flow completion: response_json parsed, flow token lifted', () => {
    const m = onlyMessage('msg-interactive-nfm-reply-flow.json');
    expect(m.flowReply).toMatchObject({ name: 'flow', body: 'Sent', flowToken: 'AQAAAAACS5FpgQ_cAAAAAD0QI3s.' });
    expect((m.flowReply!.response as any).delivery_rating).toBe('4');
  });

  it('location, contacts, reaction, order', () => {
    expect(onlyMessage('msg-location.json').location).toEqual({
      latitude: 37.44221496582,
      longitude: -122.16165924072,
      name: 'Philz Coffee',
      address: '101 Forest Ave, Palo Alto, CA 94301',
      url: 'https://philzcoffee.com/',
    });
    const contacts = onlyMessage('msg-contacts.json').contacts as any[];
    expect(contacts[0].name.formatted_name).toBe('Lucía Gómez');
    expect(onlyMessage('msg-reaction.json').reaction).toEqual({
      messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA',
      emoji: '👍',
    });
    const order = onlyMessage('msg-order.json').order!;
    expect(order.catalogId).toBe('194836987003835');
    expect(order.items).toEqual([
      { productRetailerId: 'di9ozbzfi4', quantity: 2, itemPrice: 30, currency: 'USD' },
      { productRetailerId: 'nqryix03ez', quantity: 1, itemPrice: 25, currency: 'USD' },
    ]);
  });

  it('referral, forwarded context, system, unsupported with mapped errors', () => {
    const ad = onlyMessage('msg-text-ctwa-referral.json');
    expect(ad.referral).toMatchObject({ sourceType: 'ad', sourceId: '120226305854810726', welcomeMessage: 'Hi there! Let us know how we can help!' });
    expect(ad.referral!.ctwaClid).toMatch(/^Aff-/);
    expect(onlyMessage('msg-text-forwarded-many-times.json').context).toEqual({ frequentlyForwarded: true });
    const system = onlyMessage('msg-system-user-changed-number.json');
    expect(system.system).toEqual({
      type: 'user_changed_number',
      body: 'User Sheena Nelson changed from 16505551234 to 12195555358',
      newWaId: '12195555358',
    });
    expect(system.contactName).toBeUndefined();
    const unsupported = onlyMessage('msg-unsupported.json');
    expect(unsupported.type).toBe('unsupported');
    expect(unsupported.errors).toEqual([
      expect.objectContaining({ code: 'graph_131051', graphCode: 131051, category: 'invalid_request', retryable: false, title: 'Message type unknown' }),
    ]);
  });
});

describe('status and account events', () => {
  it('sent status with pricing and conversation', () => {
    const [s] = eventsOf('status-sent-pmp-marketing.json') as InboundStatusEvent[];
    expect(s).toMatchObject({
      kind: 'status',
      messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
      status: 'sent',
      recipientId: '16505551234',
      pricing: { billable: true, pricingModel: 'PMP', type: 'regular', category: 'marketing' },
      conversation: { id: '72b14d6bd5407799e66f64d1b338e567', originType: 'marketing' },
      errors: [],
    });
    expect(s!.timestamp).toEqual(new Date(1750030073000));
    expect(s!.conversation!.expiresAt).toEqual(new Date(1750116480000));
  });

  it('failed status: errors mapped with the synchronous table, as plain data', () => {
    const [s] = eventsOf('status-failed-131049.json') as InboundStatusEvent[];
    expect(s!.errors).toHaveLength(1);
    const error = s!.errors[0]!;
    expect(error).toMatchObject({ code: 'graph_131049', graphCode: 131049, category: 'recipient', retryable: true });
    expect(error.details).toMatch(/healthy ecosystem/);
    expect(error.hint).toMatch(/24 hours/);
    expect(error).not.toBeInstanceOf(Error);
    expect(JSON.parse(JSON.stringify(error))).toEqual(error);
  });

  it('three statuses in one change: all three', () => {
    const events = eventsOf('DERIVED-batched-three-statuses-one-change.json') as InboundStatusEvent[];
    expect(events.map((e) => e.status)).toEqual(['sent', 'delivered', 'failed']);
  });

  it('two entries, mixed fields: messages of both changes and the template event', () => {
    const events = eventsOf('DERIVED-batched-two-entries-mixed-fields.json');
    expect(events.map((e) => e.kind)).toEqual(['message', 'message', 'template_status']);
    expect((events[1] as InboundMessageEvent).type).toBe('image');
    expect(events[2]!.wabaId).toBe('102290129340398');
  });

  it('value-level errors', () => {
    const [e] = eventsOf('value-errors-130429.json');
    expect(e).toMatchObject({ kind: 'error', phoneNumberId: '106540352242922', error: { graphCode: 130429, category: 'rate_limit' } });
  });

  it('template status, rejection info, category, phone quality, account update, preferences', () => {
    expect(eventsOf('template-status-approved.json')[0]).toMatchObject({
      kind: 'template_status',
      templateId: '1689556908129832',
      templateName: 'order_confirmation',
      language: 'en-US',
      event: 'APPROVED',
      reason: 'NONE',
      category: 'UTILITY',
      entryTime: new Date(1751247548000),
    });
    expect(eventsOf('template-status-rejected-with-info.json')[0]).toMatchObject({
      event: 'REJECTED',
      rejectionInfo: { recommendation: expect.stringMatching(/Separate parameters/) },
    });
    expect(eventsOf('template-category-update.json')[0]).toMatchObject({
      kind: 'template_category',
      templateId: '278077987957091',
      newCategory: 'UTILITY',
      correctCategory: 'MARKETING',
      categoryUpdateAt: new Date(1746169200000),
    });
    expect(eventsOf('phone-number-quality-update.json')[0]).toMatchObject({
      kind: 'phone_quality',
      event: 'THROUGHPUT_UPGRADE',
      currentLimit: 'TIER_UNLIMITED',
      displayPhoneNumber: '15550783881',
    });
    expect(eventsOf('account-update-violation.json')[0]).toMatchObject({ kind: 'account_update', event: 'ACCOUNT_VIOLATION' });
    expect(eventsOf('user-preferences-resume.json')[0]).toMatchObject({
      kind: 'user_preferences',
      waId: '16505551234',
      value: 'resume',
      category: 'marketing_messages',
      phoneNumberId: '106540352242922',
      timestamp: new Date(1731705721000),
    });
  });
});
