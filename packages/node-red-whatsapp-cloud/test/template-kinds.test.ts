/**
 * Carousel, limited-time offer and authentication templates through the Node-RED send node: the
 * editor's template list gives one parameter row per card field, rows filled the way a user
 * fills them are sent, and the sandbox receives every card's header and button parameter.
 */
import type { Sandbox } from '../../sandbox/src';
import { configFor, helper, load, nextMessage, sandbox, startServer, stop, uniqueUser, type Loaded } from './helpers';

function flow(sb: Sandbox, out: Record<string, unknown>, configProps: Record<string, unknown> = {}) {
  const config = configFor(sb, configProps);
  return {
    nodes: [
      config.node,
      { id: 'tab', type: 'tab' },
      { id: 'out', z: 'tab', x: 100, y: 100, type: 'whatsapp-cloud-out', config: 'cfg', wires: [['ok']], ...out },
      { id: 'ok', z: 'tab', x: 100, y: 100, type: 'helper' },
      { id: 'catch', z: 'tab', x: 100, y: 100, type: 'catch', scope: null, uncaught: false, wires: [['err']] },
      { id: 'err', z: 'tab', x: 100, y: 100, type: 'helper' },
    ],
    credentials: config.credentials,
  };
}

interface Spec {
  key: string;
  format: string;
  required: boolean;
}

describe('whatsapp-cloud-out with carousel, offer and authentication templates', () => {
  let sb: Sandbox;
  let loaded: Loaded | undefined;

  beforeEach(async () => {
    await startServer();
    sb = await sandbox();
  });
  afterEach(async () => {
    await stop(loaded);
    loaded = undefined;
    await sb.close();
  });

  /** The parameter rows the editor shows for a template (from the admin route it calls). */
  async function editorRows(name: string): Promise<Spec[]> {
    const config = configFor(sb);
    loaded = await load([config.node], config.credentials);
    const res = await helper.request().post('/whatsapp-cloud/templates').send({ id: 'cfg', accessToken: '__PWRD__', phoneNumberId: sb.phoneNumberId, wabaId: sb.wabaId, baseUrl: sb.url });
    expect(res.status).toBe(200);
    const template = res.body.templates.find((t: { name: string }) => t.name === name);
    await stop(loaded);
    loaded = undefined;
    return template.parameters as Spec[];
  }

  async function run(out: Record<string, unknown>, configProps: Record<string, unknown> = {}) {
    const f = flow(sb, out, configProps);
    loaded = await load(f.nodes, f.credentials);
    return { out: helper.getNode('out'), ok: helper.getNode('ok'), err: helper.getNode('err') };
  }

  test('a 3-card carousel from parameter rows reaches the sandbox with every card\'s header and button', async () => {
    const rows = await editorRows('succulent_carousel');
    expect(rows.filter((r) => r.key.startsWith('card.')).map((r) => r.key)).toEqual(
      [0, 1, 2].flatMap((n) => [`card.${n}.header`, `card.${n}.body.1`, `card.${n}.button.0`, `card.${n}.button.1`]),
    );
    expect(rows.find((r) => r.key === 'card.2.header')).toMatchObject({ format: 'image', required: true });

    // Fill the rows: card headers from msg, the rest typed in.
    const value = (key: string) => {
      const [, n, part] = /^card\.(\d)\.(.*)$/.exec(key) ?? [];
      if (key === 'body.1') return { value: 'payload.name', type: 'msg' };
      if (key === 'body.2') return { value: 'SPRING', type: 'str' };
      if (part === 'header') return { value: `payload.images[${n}]`, type: 'msg' };
      if (part === 'body.1') return { value: `plant ${n}`, type: 'str' };
      if (part === 'button.0') return { value: n === '1' ? '' : `more-${n}`, type: 'str' }; // a payload left empty
      return { value: `sku-${n}`, type: 'str' };
    };
    const parameters = rows.map((r) => ({ key: r.key, ...value(r.key) }));
    const { out, ok } = await run({ mode: 'template', template: 'succulent_carousel', language: 'en_US', parameters });
    const result = nextMessage(ok);
    const user = uniqueUser();
    const images = [0, 1, 2].map((n) => `https://cdn.example.com/card-${n}.jpg`);
    out.receive({ to: user, payload: { name: 'Ada', images } });
    const msg = await result;
    expect(msg.whatsapp.messageId).toBe(sb.messages[0]!.id);

    const body = sb.messages[0]!.body as { to: string; template: { components: Array<Record<string, unknown>> } };
    expect(body.to).toBe('+' + user);
    expect(body.template.components[0]).toEqual({ type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: 'SPRING' }] });
    const carousel = body.template.components[1] as { type: string; cards: Array<{ card_index: number; components: unknown[] }> };
    expect(carousel.type).toBe('carousel');
    expect(carousel.cards.map((c) => c.card_index)).toEqual([0, 1, 2]);
    carousel.cards.forEach((card, n) => {
      expect(card.components).toContainEqual({ type: 'header', parameters: [{ type: 'image', image: { link: images[n] } }] });
      expect(card.components).toContainEqual({ type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: `sku-${n}` }] });
    });
  });

  test('a card whose header row is empty fails before sending, naming it', async () => {
    const rows = await editorRows('succulent_carousel');
    const parameters = rows.map((r) => ({ key: r.key, value: r.key === 'card.1.header' ? '' : r.key.endsWith('header') ? 'https://cdn.example.com/x.jpg' : 'v', type: 'str' }));
    const { out, err } = await run({ mode: 'template', template: 'succulent_carousel', language: 'en_US', parameters });
    const caught = nextMessage(err);
    out.receive({ to: uniqueUser() });
    const msg = await caught;
    expect(msg.error.message).toMatch(/components\.card\.1\.header/);
    expect(sb.messages).toHaveLength(0);
  });

  test('limited-time offer and authentication rows', async () => {
    expect((await editorRows('verification_code')).map((r) => r.key)).toEqual(['code']);
    const { out, ok } = await run({
      mode: 'template',
      template: 'caribbean_offer',
      language: 'en_US',
      parameters: [
        { key: 'header', value: 'https://cdn.example.com/beach.jpg', type: 'str' },
        { key: 'limited_time_offer', value: '2030-06-01T00:00:00Z', type: 'str' },
        { key: 'body.1', value: 'Pablo', type: 'str' },
        { key: 'body.2', value: 'CARIBE25', type: 'str' },
        { key: 'button.0', value: 'CARIBE25', type: 'str' },
        { key: 'button.1', value: 'n3mtql', type: 'str' },
      ],
    });
    const result = nextMessage(ok);
    out.receive({ to: uniqueUser() });
    await result;
    const components = (sb.messages[0]!.body as { template: { components: unknown[] } }).template.components;
    expect(components).toContainEqual({ type: 'limited_time_offer', parameters: [{ type: 'limited_time_offer', limited_time_offer: { expiration_time_ms: Date.parse('2030-06-01T00:00:00Z') } }] });
    expect(components).toContainEqual({ type: 'button', sub_type: 'copy_code', index: '0', parameters: [{ type: 'coupon_code', coupon_code: 'CARIBE25' }] });
  });

  test('config "Marketing API": marketing templates go to /marketing_messages with the product policy', async () => {
    const { out, ok } = await run(
      { mode: 'template', template: 'spring_sale', language: 'en', parameters: [{ key: 'body.1', value: '20%', type: 'str' }, { key: 'button.0', value: 'spring', type: 'str' }] },
      { marketingMessages: 'strict' },
    );
    const result = nextMessage(ok);
    out.receive({ to: uniqueUser() });
    const msg = await result;
    expect(msg.whatsapp.via).toBe('marketing_messages');
    const request = sb.requests.filter((r) => r.path.endsWith('/marketing_messages')).pop()!;
    expect(request.body).toMatchObject({ type: 'template', template: { name: 'spring_sale' }, product_policy: 'STRICT' });
  });

  /** account node → ok helper; catch → err helper. */
  async function account(operation: string) {
    const config = configFor(sb);
    loaded = await load(
      [
        config.node,
        { id: 'tab', type: 'tab' },
        { id: 'acct', z: 'tab', x: 100, y: 100, type: 'whatsapp-cloud-account', config: 'cfg', operation, wires: [['ok']] },
        { id: 'ok', z: 'tab', x: 100, y: 100, type: 'helper' },
        { id: 'catch', z: 'tab', x: 100, y: 100, type: 'catch', scope: null, uncaught: false, wires: [['err']] },
        { id: 'err', z: 'tab', x: 100, y: 100, type: 'helper' },
      ],
      config.credentials,
    );
    return { acct: helper.getNode('acct'), ok: helper.getNode('ok'), err: helper.getNode('err') };
  }

  test('account node: create a template from the library (approved at once)', async () => {
    const { acct, ok } = await account('createTemplateFromLibrary');
    const result = nextMessage(ok);
    acct.receive({ payload: { name: 'nr_payment_reminder', language: 'en_US', libraryTemplateName: 'payment_reminder_1', buttonInputs: [{ type: 'PHONE_NUMBER', phone_number: '+16315551010' }] } });
    const msg = await result;
    expect(msg.payload).toMatchObject({ status: 'APPROVED', category: 'UTILITY' });
    const request = sb.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/message_templates')).pop()!;
    expect(request.body).toMatchObject({ library_template_name: 'payment_reminder_1', library_template_button_inputs: [{ type: 'PHONE_NUMBER', phone_number: '+16315551010' }] });
  });

  test('account node: a carousel definition whose cards differ is refused before Meta, naming the card', async () => {
    const { acct, err } = await account('createTemplate');
    const caught = nextMessage(err);
    const card = (format: string) => ({ components: [{ type: 'HEADER', format, example: { header_handle: ['h'] } }, { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'More' }] }] });
    acct.receive({ payload: { name: 'nr_carousel', language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'Our picks.' }, { type: 'CAROUSEL', cards: [card('IMAGE'), card('VIDEO')] }] } });
    const msg = await caught;
    expect(msg.error.message).toMatch(/components\[1\]\.cards\[1\]\.components: header VIDEO differs from card 0/);
    expect(sb.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/message_templates'))).toHaveLength(0);
  });

  test('account node: pricing analytics, one entry per day and category', async () => {
    const { acct, ok } = await account('pricingAnalytics');
    const today = new Date().toISOString().slice(0, 10);
    const result = nextMessage(ok);
    acct.receive({ payload: { start: today, end: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10) } });
    const msg = await result;
    expect(Array.isArray(msg.payload)).toBe(true);
    const request = sb.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${sb.wabaId}`)).pop()!;
    expect(request.query.fields).toMatch(/^pricing_analytics\.start\(\d+\)\.end\(\d+\)\.granularity\(DAILY\)\.dimensions\(PRICING_CATEGORY,PRICING_TYPE\)$/);
  });
});
