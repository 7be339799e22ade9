/**
 * Pricing and template analytics read from the sandbox, which computes them from what it really
 * delivered: one row per day and category, and per day and template.
 */
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { pricingAnalytics, templateAnalytics } from '../src/analytics';
import { ValidationError } from '../src/errors/error-classes';
import { GraphApi } from '../src/http/graph-api';
import { listTemplates } from '../src/templates';

let sb: Sandbox;
let graph: GraphApi;
beforeAll(async () => {
  sb = await startSandbox({ statusDelaysMs: { sent: 1, delivered: 2, read: null } });
  graph = new GraphApi({ accessToken: sb.accessToken, baseUrl: sb.url });
  const send = (to: string, template: Record<string, unknown>) =>
    fetch(`${sb.url}/v23.0/${sb.phoneNumberId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sb.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', to, type: 'template', template }),
    });
  const spring = { name: 'spring_sale', language: { code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '20%' }] }, { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'x' }] }] };
  await send('+14155550201', spring);
  await send('+14155550202', spring);
  await send('+14155550203', { name: 'hello_world', language: { code: 'en_US' } });
  // The analytics count delivered messages: wait for the three delivered statuses (a fixed 100 ms
  // sleep assumed the sandbox's timers had run by then).
  await sb.waitFor(() => sb.messages.length === 3 && sb.messages.every((m) => m.statuses.some((s) => s.status === 'delivered')), 20_000);
});
afterAll(async () => {
  await graph.close();
  await sb.close();
});

const today = new Date().toISOString().slice(0, 10);
const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

describe('pricingAnalytics', () => {
  it('one row per day and category with volume and cost, as asked of Meta', async () => {
    const rows = await pricingAnalytics(graph, sb.wabaId, { start: today, end: tomorrow });
    expect(rows).toEqual([
      { date: today, start: expect.any(Number), end: expect.any(Number), pricingCategory: 'MARKETING', pricingType: 'REGULAR', volume: 2, cost: 0.05 },
      { date: today, start: expect.any(Number), end: expect.any(Number), pricingCategory: 'UTILITY', pricingType: 'REGULAR', volume: 1, cost: 0.004 },
    ]);
    const request = sb.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${sb.wabaId}`)).pop()!;
    expect(request.query.fields).toMatch(/^pricing_analytics\.start\(\d+\)\.end\(\d+\)\.granularity\(DAILY\)\.dimensions\(PRICING_CATEGORY,PRICING_TYPE\)$/);
  });

  it('refuses a period that ends before it starts, or an unknown dimension', async () => {
    await expect(pricingAnalytics(graph, sb.wabaId, { start: tomorrow, end: today })).rejects.toThrow(/end: must be after start/);
    await expect(pricingAnalytics(graph, sb.wabaId, { start: today, end: tomorrow, dimensions: ['COLOUR'] })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('templateAnalytics', () => {
  it('one row per day and template, every approved template when none is named, 10 IDs a request', async () => {
    const rows = await templateAnalytics(graph, sb.wabaId, { start: today, end: tomorrow });
    const byName = Object.fromEntries(rows.map((r) => [r.templateName, r]));
    expect(byName.spring_sale).toMatchObject({ date: today, category: 'MARKETING', sent: 2, delivered: 2, read: 0, clicked: 0, cost: 0.05 });
    expect(byName.hello_world).toMatchObject({ date: today, category: 'UTILITY', sent: 1, delivered: 1 });
    const approved = await listTemplates(graph, sb.wabaId, { status: 'APPROVED' });
    const calls = sb.requests.filter((r) => r.path.endsWith('/template_analytics'));
    expect(calls).toHaveLength(Math.ceil(approved.length / 10));
    expect(calls[0]!.query.template_ids!.split(',').length).toBe(Math.min(10, approved.length));
    expect(calls[0]!.query.granularity).toBe('daily');
  });
});
