/**
 * Business-scoped user IDs sent the way Meta takes them (`recipient`, not `to`), username-only
 * inbound events keying windows and replies, authentication templates to a BSUID refused before
 * sending (Meta: 131062), and the Marketing Messages API routed by each template's latest
 * category. Assertions on what the sandbox received.
 */
import { createHmac } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { WhatsAppClient } from '../src/client';
import { GraphApiError, ValidationError } from '../src/errors/error-classes';
import { toGraphBody, textMessage } from '../src/messages';
import { QualityGuard } from '../src/quality/quality-guard';
import { handleWebhookPost } from '../src/webhook/handle';
import { WindowTracker } from '../src/window/window-tracker';

const BSUID = 'US.13491208655302741918';
let sb: Sandbox;
const clients: WhatsAppClient[] = [];
beforeEach(async () => {
  sb = await startSandbox({ statusDelaysMs: { sent: 2, delivered: null, read: null } });
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await sb.close();
});

function client(extra: Partial<ConstructorParameters<typeof WhatsAppClient>[0]> = {}): WhatsAppClient {
  const c = new WhatsAppClient({
    accessToken: sb.accessToken,
    phoneNumberId: sb.phoneNumberId,
    wabaId: sb.wabaId,
    baseUrl: sb.url,
    quality: { guard: new QualityGuard() },
    ...extra,
  });
  clients.push(c);
  return c;
}

const sends = () => sb.requests.filter((r) => r.method === 'POST' && /\/(messages|marketing_messages)$/.test(r.path));

/** A username-only user's message as Meta sends it: `from` and `wa_id` empty, only the BSUID. */
function usernameOnlyWebhook(): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: sb.wabaId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001111', phone_number_id: sb.phoneNumberId },
              contacts: [{ profile: { name: 'Ana', username: 'ana' }, wa_id: '', user_id: BSUID }],
              messages: [{ from: '', from_user_id: BSUID, id: 'wamid.bsuid-in-1', timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'hi' } }],
            },
          },
        ],
      },
    ],
  });
}

describe('business-scoped user IDs', () => {
  it('toGraphBody puts a BSUID in recipient, never in to; a phone number stays in to', () => {
    const bsuid = toGraphBody(textMessage(BSUID, 'Hi'));
    expect(bsuid).toMatchObject({ recipient: BSUID, recipient_type: 'individual' });
    expect(bsuid).not.toHaveProperty('to');
    const phone = toGraphBody(textMessage('+1 (415) 555-1234', 'Hi'));
    expect(phone).toMatchObject({ to: '+14155551234' });
    expect(phone).not.toHaveProperty('recipient');
  });

  it('a username-only inbound message opens the window under the BSUID; the reply reaches the sandbox in recipient', async () => {
    const tracker = new WindowTracker();
    const raw = usernameOnlyWebhook();
    const signature = `sha256=${createHmac('sha256', sb.appSecret).update(raw).digest('hex')}`;
    const { events } = await handleWebhookPost({ rawBody: raw, headers: { 'x-hub-signature-256': signature }, appSecret: sb.appSecret, windowTracker: tracker });
    expect(events[0]).toMatchObject({ kind: 'message', from: '', userId: BSUID });

    const c = client({ window: { tracker } });
    expect((await c.windowStatus(BSUID)).open).toBe(true);
    sb.setWindow(BSUID); // the sandbox's own view of the same inbound message
    const result = await c.sendText(BSUID, 'Thanks, Ana!');
    expect(result.to).toBe(BSUID);
    const [sent] = sends();
    expect(sent!.body).toMatchObject({ recipient: BSUID, type: 'text', text: { body: 'Thanks, Ana!' } });
    expect(sent!.body).not.toHaveProperty('to');
    expect(sb.messages[0]!.to).toBe(BSUID);
  });

  it('an authentication template to a BSUID is refused before sending, naming the field', async () => {
    const c = client();
    const err = await c.sendTemplate(BSUID, 'verification_code', 'en_US', [
      { type: 'body', parameters: [{ type: 'text', text: '123456' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '123456' }] },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('to');
    expect((err as Error).message).toMatch(/131062/);
    expect(sends()).toHaveLength(0);
    // A marketing template to the same BSUID goes, in recipient.
    await c.sendTemplate(BSUID, 'hello_world', 'en_US');
    expect(sends()[0]!.body).toMatchObject({ recipient: BSUID });
  });

  it('without a WABA ID the category is unknown: Meta\'s 131062 comes back with its hint', async () => {
    const c = client({ wabaId: undefined });
    const err = await c.sendTemplate(BSUID, 'verification_code', 'en_US', [
      { type: 'body', parameters: [{ type: 'text', text: '1' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '1' }] },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphApiError);
    expect((err as GraphApiError).graphCode).toBe(131062);
    expect((err as GraphApiError).hint).toMatch(/phone number/);
  });
});

describe('Marketing Messages API', () => {
  it('off by default: marketing templates use /messages', async () => {
    await client().sendTemplate('+14155550101', 'hello_world', 'en_US');
    await client().sendTemplate('+14155550102', 'spring_sale', 'en', [{ type: 'body', parameters: [{ type: 'text', text: '20%' }] }, { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'x' }] }]);
    expect(sends().map((r) => r.path.split('/').pop())).toEqual(['messages', 'messages']);
  });

  it('on: MARKETING templates go to /marketing_messages with the product policy; others to /messages', async () => {
    const c = client({ marketingMessages: { enabled: true, productPolicy: 'STRICT', messageActivitySharing: false } });
    const marketing = await c.sendTemplate('+14155550103', 'spring_sale', 'en', [{ type: 'body', parameters: [{ type: 'text', text: '20%' }] }, { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'x' }] }]);
    expect(marketing.via).toBe('marketing_messages');
    const utility = await c.sendTemplate('+14155550104', 'hello_world', 'en_US');
    expect(utility.via).toBeUndefined();
    const [first, second] = sends();
    expect(first!.path.endsWith(`/${sb.phoneNumberId}/marketing_messages`)).toBe(true);
    expect(first!.body).toMatchObject({ type: 'template', template: { name: 'spring_sale' }, product_policy: 'STRICT', message_activity_sharing: false });
    expect(second!.path.endsWith('/messages')).toBe(true);
    expect(second!.body).not.toHaveProperty('product_policy');
  });

  it('routes by the latest category: a template_category_update webhook moves a UTILITY template to /marketing_messages', async () => {
    const c = client({ marketingMessages: { enabled: true } });
    const body = [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: 'A-1' }] }];
    await c.sendTemplate('+14155550105', 'order_update', 'en', body);
    // Meta re-categorises the template and says so on the webhook; the client's guard hears it.
    const http = await import('node:http');
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (b: Buffer) => chunks.push(b));
      req.on('end', () => {
        void handleWebhookPost({ rawBody: Buffer.concat(chunks), headers: req.headers, appSecret: sb.appSecret, qualityGuard: c.qualityGuard }).then(
          () => res.writeHead(200).end(),
          () => res.writeHead(500).end(),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      sb.setWebhookUrl(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
      expect(await sb.recategorize('order_update', 'en', 'MARKETING')).toBe(200);
      await c.sendTemplate('+14155550106', 'order_update', 'en', body);
    } finally {
      sb.setWebhookUrl(undefined);
      await new Promise((resolve) => server.close(resolve));
    }
    expect(sends().map((r) => r.path.split('/').pop())).toEqual(['messages', 'marketing_messages']);
  });

  it('Meta\'s answers are mapped: a non-marketing template on the endpoint is 134100 with its hint', async () => {
    const res = await fetch(`${sb.url}/v25.0/${sb.phoneNumberId}/marketing_messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sb.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', to: '+14155550107', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } }),
    });
    const text = await res.text();
    expect((JSON.parse(text) as { error: { code: number } }).error.code).toBe(134100);
    const { mapGraphError } = await import('../src/errors/map-graph-error');
    const mapped = mapGraphError(res.status, text);
    expect(mapped.hint).toMatch(/only accepts marketing templates/);
  });

  it('needs the WABA ID and a known product policy', () => {
    expect(() => client({ wabaId: undefined, marketingMessages: { enabled: true } })).toThrow(/marketingMessages needs the WhatsApp Business Account ID/);
    expect(() => client({ marketingMessages: { enabled: true, productPolicy: 'LOOSE' as never } })).toThrow(/productPolicy: "LOOSE" is not one of CLOUD_API_FALLBACK, STRICT/);
  });
});
