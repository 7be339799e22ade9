/**
 * Analytics computed from what the sandbox actually delivered, in the shapes of Meta's analytics
 * guide: `GET /{WABA}?fields=pricing_analytics.start(…).end(…).granularity(DAILY).dimensions(…)`
 * and `GET /{WABA}/template_analytics?start&end&granularity=daily&template_ids=[…]` (≤ 10 IDs).
 * Prices are the sandbox's own flat list (USD per delivered message), not Meta's rate card.
 */
import { invalidParam } from './errors';
import type { Ctx, RouteResult } from './context';
import type { Engine } from './engine';
import type { JsonObject, MessageRecord } from './types';

/** Sandbox prices per delivered message, by pricing category. */
export const SANDBOX_PRICES: Record<string, number> = { MARKETING: 0.025, UTILITY: 0.004, AUTHENTICATION: 0.0135, SERVICE: 0 };
const DAY_S = 86_400;

function delivered(m: MessageRecord): number | undefined {
  return m.statuses.find((s) => s.status === 'delivered' || s.status === 'read')?.timestamp;
}

function categoryOf(e: Engine, m: MessageRecord): string {
  if (m.type !== 'template') return 'SERVICE';
  const t = m.body.template as JsonObject;
  const lang = (t.language as JsonObject | undefined)?.code;
  return e.templates.all().find((x) => x.name === t.name && x.language === lang)?.category.toUpperCase() ?? 'MARKETING';
}

const dayStart = (unixSeconds: number) => Math.floor(unixSeconds / DAY_S) * DAY_S;
const round = (n: number) => Math.round(n * 10000) / 10000;

/** Parses `pricing_analytics.start(1).end(2).granularity(DAILY).dimensions(A,B)` into its calls. */
function calls(field: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of field.matchAll(/\.([a-z_]+)\(([^)]*)\)/g)) out.set(m[1]!, m[2]!);
  return out;
}

/** True when the WABA GET asks for pricing analytics. */
export function wantsPricingAnalytics(ctx: Ctx): boolean {
  return (ctx.query.fields ?? '').startsWith('pricing_analytics');
}

/** `GET /{WABA}?fields=pricing_analytics…` */
export function pricingAnalytics(ctx: Ctx): RouteResult {
  const e = ctx.engine;
  const c = calls(ctx.query.fields ?? '');
  const start = Number(c.get('start'));
  const end = Number(c.get('end'));
  if (!Number.isInteger(start) || !Number.isInteger(end) || end <= start) throw invalidParam('Param pricing_analytics needs start(<unix>) and end(<unix>) with end after start');
  const granularity = c.get('granularity');
  if (granularity !== 'DAILY' && granularity !== 'MONTHLY' && granularity !== 'HALF_HOUR') throw invalidParam('Param granularity must be one of {DAILY, HALF_HOUR, MONTHLY}');
  const dims = (c.get('dimensions') ?? '').split(',').map((d) => d.trim()).filter(Boolean);
  const categories = c.get('pricing_categories')?.split(',').map((x) => x.trim());
  const groups = new Map<string, JsonObject>();
  for (const m of e.messages) {
    const at = delivered(m);
    if (at === undefined) continue;
    const s = Math.floor(at / 1000);
    if (s < start || s >= end) continue;
    const category = categoryOf(e, m);
    if (categories && !categories.includes(category)) continue;
    const type = category === 'SERVICE' ? 'FREE_CUSTOMER_SERVICE' : 'REGULAR';
    const bucket = granularity === 'DAILY' ? dayStart(s) : start;
    const point: JsonObject = { start: bucket, end: granularity === 'DAILY' ? bucket + DAY_S : end };
    if (dims.includes('PRICING_CATEGORY')) point.pricing_category = category;
    if (dims.includes('PRICING_TYPE')) point.pricing_type = type;
    if (dims.includes('COUNTRY')) point.country = m.waId.startsWith('1') ? 'US' : 'ZZ';
    if (dims.includes('PHONE')) point.phone_number = e.o.displayPhoneNumber;
    const key = JSON.stringify(point);
    const g = groups.get(key) ?? { ...point, volume: 0, cost: 0 };
    g.volume = (g.volume as number) + 1;
    g.cost = round((g.cost as number) + (SANDBOX_PRICES[category] ?? 0));
    groups.set(key, g);
  }
  return { pricing_analytics: { data: [{ data_points: [...groups.values()] }] }, id: e.o.wabaId };
}

/** `GET /{WABA}/template_analytics` */
export function templateAnalytics(ctx: Ctx): RouteResult {
  const e = ctx.engine;
  const q = ctx.query;
  const start = Number(q.start);
  const end = Number(q.end);
  if (!Number.isInteger(start) || !Number.isInteger(end) || end <= start) throw invalidParam('Param start and end must be UNIX timestamps, end after start');
  if ((q.granularity ?? '').toUpperCase() !== 'DAILY') throw invalidParam('Param granularity must be DAILY');
  const ids = (q.template_ids ?? '').replace(/[[\]\s]/g, '').split(',').filter(Boolean);
  if (ids.length === 0) throw invalidParam('Param template_ids is required');
  if (ids.length > 10) throw invalidParam('Param template_ids must have at most 10 IDs');
  const points = new Map<string, JsonObject>();
  for (const id of ids) {
    const t = e.templates.byId(id);
    if (!t) continue;
    for (const m of e.messages) {
      if (m.type !== 'template') continue;
      const sent = m.body.template as JsonObject;
      if (sent.name !== t.name || (sent.language as JsonObject | undefined)?.code !== t.language) continue;
      const s = Math.floor(m.acceptedAt / 1000);
      if (s < dayStart(start) || s >= end) continue;
      const bucket = dayStart(s);
      const key = `${id}:${bucket}`;
      const p = points.get(key) ?? { template_id: id, start: bucket, end: bucket + DAY_S, sent: 0, delivered: 0, read: 0, cost: [{ type: 'amount_spent', value: 0 }] };
      p.sent = (p.sent as number) + 1;
      if (delivered(m) !== undefined) {
        p.delivered = (p.delivered as number) + 1;
        const cost = (p.cost as JsonObject[])[0]!;
        cost.value = round((cost.value as number) + (SANDBOX_PRICES[t.category.toUpperCase()] ?? 0));
      }
      if (m.statuses.some((x) => x.status === 'read')) p.read = (p.read as number) + 1;
      points.set(key, p);
    }
  }
  return { data: [{ granularity: 'DAILY', product_type: 'cloud_api', data_points: [...points.values()] }], paging: { cursors: { before: 'MAZDZD', after: 'MjQZD' } } };
}
