import { ValidationError } from './errors/error-classes';
import type { GraphApi } from './http/graph-api';
import { listTemplates } from './templates/api';

/**
 * Cost and delivery analytics of a WhatsApp Business Account, one row per day and category
 * (pricing) or per day and template (templates). Requests as Meta's analytics guide documents them
 * (developers.facebook.com/documentation/business-messaging/whatsapp/analytics):
 * `GET /<WABA_ID>?fields=pricing_analytics.start(…).end(…).granularity(DAILY).dimensions(…)` and
 * `GET /<WABA_ID>/template_analytics?start=…&end=…&granularity=daily&template_ids=[…]` (at most 10
 * template IDs a request; 90 days back for templates, one year for pricing).
 */

/** A day boundary: a Date, an ISO date (`2026-03-01`) / date-time, or UNIX seconds. */
export type AnalyticsTime = Date | string | number;

export interface AnalyticsPeriod {
  /** First day (inclusive). */
  start: AnalyticsTime;
  /** End of the period (exclusive). */
  end: AnalyticsTime;
}

/** One day of one pricing category (and type) from `pricing_analytics`. */
export interface PricingAnalyticsRow {
  /** The day, `YYYY-MM-DD` (UTC). */
  date: string;
  start: number;
  end: number;
  /** AUTHENTICATION, AUTHENTICATION_INTERNATIONAL, MARKETING, MARKETING_LITE, SERVICE, UTILITY, REFERRAL_CONVERSION. */
  pricingCategory: string;
  /** REGULAR, FREE_CUSTOMER_SERVICE, FREE_ENTRY_POINT. */
  pricingType?: string;
  country?: string;
  phoneNumber?: string;
  /** Messages delivered. */
  volume: number;
  /** Approximate cost in the WABA's currency. */
  cost: number;
}

/** One day of one template from `template_analytics`. */
export interface TemplateAnalyticsRow {
  date: string;
  start: number;
  end: number;
  templateId: string;
  templateName?: string;
  /** The template's category, when the template list was read. */
  category?: string;
  sent: number;
  delivered: number;
  read: number;
  /** Button clicks (all buttons). */
  clicked: number;
  /** `amount_spent`, when Meta shows cost (not for businesses billed through a partner). */
  cost?: number;
}

const DAY_MS = 86_400_000;
/** Meta: "template_ids … Maximum 10." */
export const TEMPLATE_ANALYTICS_IDS_PER_REQUEST = 10;
const PRICING_DIMENSIONS = ['PRICING_CATEGORY', 'PRICING_TYPE', 'COUNTRY', 'PHONE', 'TIER'];

function seconds(value: AnalyticsTime, field: string): number {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value > 1e11 ? value : value * 1000;
  else if (typeof value === 'string' && /^\d+$/.test(value.trim())) ms = Number(value.trim()) * 1000;
  else if (typeof value === 'string') ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? `${value.trim()}T00:00:00Z` : value);
  else ms = Number.NaN;
  if (!Number.isFinite(ms)) throw new ValidationError(field, `${JSON.stringify(value)} is not a date: give an ISO date (2026-03-01), a date-time or UNIX seconds`);
  return Math.floor(ms / 1000);
}

function period(p: AnalyticsPeriod): { start: number; end: number } {
  const start = seconds(p.start, 'start');
  const end = seconds(p.end, 'end');
  if (end <= start) throw new ValidationError('end', 'must be after start');
  return { start, end };
}

const day = (unix: number) => new Date(unix * 1000).toISOString().slice(0, 10);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : Number(v) || 0);

export interface PricingAnalyticsOptions extends AnalyticsPeriod {
  /**
   * Breakdowns besides the day. @default ['PRICING_CATEGORY', 'PRICING_TYPE']
   * (rows are one per day, category and type; add COUNTRY or PHONE for finer rows)
   */
  dimensions?: string[];
  /** Only these categories (e.g. ['MARKETING', 'UTILITY']). */
  pricingCategories?: string[];
  /** Only these business phone numbers (display numbers, digits). */
  phoneNumbers?: string[];
}

/**
 * Reads `pricing_analytics` for a period, daily: one row per day and pricing category (and type,
 * country, phone as asked), with messages delivered (`volume`) and approximate `cost`.
 * @example
 * const rows = await pricingAnalytics(graph, wabaId, { start: '2026-03-01', end: '2026-03-08' });
 */
export async function pricingAnalytics(graph: GraphApi, wabaId: string, options: PricingAnalyticsOptions): Promise<PricingAnalyticsRow[]> {
  const { start, end } = period(options);
  const dimensions = options.dimensions ?? ['PRICING_CATEGORY', 'PRICING_TYPE'];
  for (const d of dimensions) if (!PRICING_DIMENSIONS.includes(d)) throw new ValidationError('dimensions', `"${d}" is not one of ${PRICING_DIMENSIONS.join(', ')}`);
  if (!dimensions.includes('PRICING_CATEGORY')) dimensions.unshift('PRICING_CATEGORY');
  let field = `pricing_analytics.start(${start}).end(${end}).granularity(DAILY).dimensions(${dimensions.join(',')})`;
  if (options.pricingCategories?.length) field += `.pricing_categories(${options.pricingCategories.map((c) => c.toUpperCase()).join(',')})`;
  if (options.phoneNumbers?.length) field += `.phone_numbers(${options.phoneNumbers.join(',')})`;
  const body = await graph.request<{ pricing_analytics?: { data?: Array<{ data_points?: Array<Record<string, unknown>> }> } }>('GET', encodeURIComponent(wabaId), { query: { fields: field } });
  const rows: PricingAnalyticsRow[] = [];
  for (const group of body.pricing_analytics?.data ?? []) {
    for (const point of group.data_points ?? []) {
      const s = num(point.start);
      rows.push({
        date: day(s),
        start: s,
        end: num(point.end),
        pricingCategory: String(point.pricing_category ?? 'ALL'),
        ...(point.pricing_type !== undefined ? { pricingType: String(point.pricing_type) } : {}),
        ...(point.country !== undefined ? { country: String(point.country) } : {}),
        ...(point.phone_number !== undefined ? { phoneNumber: String(point.phone_number) } : {}),
        volume: num(point.volume),
        cost: num(point.cost),
      });
    }
  }
  return rows.sort((a, b) => a.start - b.start || a.pricingCategory.localeCompare(b.pricingCategory) || (a.pricingType ?? '').localeCompare(b.pricingType ?? ''));
}

export interface TemplateAnalyticsOptions extends AnalyticsPeriod {
  /** Template IDs; all of them are read, 10 a request. @default every APPROVED template of the WABA */
  templateIds?: string[];
  /** Names and categories of the templates (from `listTemplates`), to label the rows. */
  templates?: Array<{ id: string; name: string; category: string }>;
}

/**
 * Reads `template_analytics` for a period (daily; Meta keeps 90 days): one row per day and
 * template with sent, delivered, read, button clicks and the amount spent.
 * @example
 * const rows = await templateAnalytics(graph, wabaId, { start: '2026-03-01', end: '2026-03-08', templateIds: ['1689556908129832'] });
 */
export async function templateAnalytics(graph: GraphApi, wabaId: string, options: TemplateAnalyticsOptions): Promise<TemplateAnalyticsRow[]> {
  const { start, end } = period(options);
  let templates = options.templates;
  if (!options.templateIds?.length && !templates?.length) {
    templates = (await listTemplates(graph, wabaId, { status: 'APPROVED' })).map((t) => ({ id: t.id, name: t.name, category: t.category }));
  }
  const ids = [...new Set(options.templateIds?.length ? options.templateIds : (templates ?? []).map((t) => t.id))];
  if (ids.length === 0) return [];
  for (const id of ids) if (!/^\d+$/.test(id)) throw new ValidationError('templateIds', `"${id}" is not a template ID (digits)`);
  const known = new Map((templates ?? []).map((t) => [t.id, t]));
  const rows: TemplateAnalyticsRow[] = [];
  for (let i = 0; i < ids.length; i += TEMPLATE_ANALYTICS_IDS_PER_REQUEST) {
    const chunk = ids.slice(i, i + TEMPLATE_ANALYTICS_IDS_PER_REQUEST);
    let after: string | undefined;
    for (let page = 0; page < 100; page++) {
      const body = await graph.request<{ data?: Array<{ data_points?: Array<Record<string, unknown>> }>; paging?: { cursors?: { after?: string }; next?: string } }>(
        'GET',
        `${encodeURIComponent(wabaId)}/template_analytics`,
        { query: { start, end, granularity: 'daily', template_ids: `[${chunk.join(',')}]`, after } },
      );
      for (const group of body.data ?? []) {
        for (const point of group.data_points ?? []) {
          const s = num(point.start);
          const templateId = String(point.template_id ?? '');
          const template = known.get(templateId);
          const clicked = Array.isArray(point.clicked) ? point.clicked.reduce((sum: number, c: { count?: unknown }) => sum + num(c?.count), 0) : 0;
          const spent = Array.isArray(point.cost) ? (point.cost as Array<{ type?: string; value?: unknown }>).find((c) => c?.type === 'amount_spent') : undefined;
          rows.push({
            date: day(s),
            start: s,
            end: num(point.end) || s + DAY_MS / 1000,
            templateId,
            ...(template ? { templateName: template.name, category: template.category } : {}),
            sent: num(point.sent),
            delivered: num(point.delivered),
            read: num(point.read),
            clicked,
            ...(spent ? { cost: num(spent.value) } : {}),
          });
        }
      }
      after = body.paging?.cursors?.after;
      if (!body.paging?.next || !after) break;
    }
  }
  return rows.sort((a, b) => a.start - b.start || a.templateId.localeCompare(b.templateId));
}
