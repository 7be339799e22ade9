/**
 * Template management: `GET/POST/DELETE /{WABA}/message_templates`, `GET /{template-id}` and
 * `POST /{template-id}` (edit). Created or edited templates go PENDING, then APPROVED or REJECTED after
 * `templateReviewMs`, each change announced with a `message_template_status_update` webhook.
 */
import { params, fieldsOf, type Ctx, type RouteResult } from './context';
import type { Engine } from './engine';
import { GraphError, invalidParam } from './errors';
import { projectTemplate, reviewRejection, type Rejection } from './templates';
import type { Json, JsonObject, TemplateComponent, TemplateDefinition } from './types';

const CURSOR_PREFIX = 'sandbox-offset:';

function encodeCursor(offset: number): string {
  return Buffer.from(`${CURSOR_PREFIX}${offset}`).toString('base64');
}

function decodeCursor(c: string): number {
  const text = Buffer.from(c, 'base64').toString('utf8');
  const n = Number(text.slice(CURSOR_PREFIX.length));
  if (!text.startsWith(CURSOR_PREFIX) || !Number.isInteger(n) || n < 0) {
    throw new GraphError(131059, 'The pagination cursor is invalid. Retry without cursors.');
  }
  return n;
}

/** `GET /{WABA}/message_templates` with filters (status, name contains, language, category) and cursor paging. */
export function listTemplates(ctx: Ctx): RouteResult {
  const q = ctx.query;
  const statuses = q.status ? q.status.toUpperCase().split(',') : undefined;
  const all = ctx.engine.templates.all().filter(
    (t) =>
      (!statuses || statuses.includes(t.status)) &&
      (!q.name || t.name.toLowerCase().includes(q.name.toLowerCase())) &&
      (!q.language || t.language === q.language) &&
      (!q.category || t.category === q.category.toUpperCase()),
  );
  const limit = q.limit === undefined ? 25 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1) throw invalidParam('Param limit must be a positive integer');
  let start = 0;
  if (q.after) start = decodeCursor(q.after);
  else if (q.before) start = Math.max(0, decodeCursor(q.before) - limit);
  const page = all.slice(start, start + limit);
  const fields = fieldsOf(ctx);
  const paging: JsonObject = { cursors: { before: encodeCursor(start), after: encodeCursor(start + page.length) } };
  if (start + limit < all.length) {
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (k !== 'after' && k !== 'before' && k !== 'access_token') next.set(k, v);
    next.set('limit', String(limit));
    next.set('after', encodeCursor(start + page.length));
    paging.next = `${ctx.engine.baseUrl}/${ctx.version ?? 'v23.0'}/${ctx.engine.o.wabaId}/message_templates?${next.toString()}`;
  }
  if (start > 0) {
    const prev = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (k !== 'after' && k !== 'before' && k !== 'access_token') prev.set(k, v);
    prev.set('limit', String(limit));
    prev.set('before', encodeCursor(start));
    paging.previous = `${ctx.engine.baseUrl}/${ctx.version ?? 'v23.0'}/${ctx.engine.o.wabaId}/message_templates?${prev.toString()}`;
  }
  return { data: page.map((t) => projectTemplate(t, fields)), paging };
}

/** Schedules the review of a PENDING template and its status webhooks. */
function scheduleReview(engine: Engine, t: TemplateDefinition & { id: string; rejected_reason?: string }, rejection: Rejection | undefined): void {
  engine.schedule(() => {
    if (!engine.templates.byId(t.id) || t.status !== 'PENDING') return; // deleted or changed meanwhile
    t.status = rejection ? 'REJECTED' : 'APPROVED';
    t.rejected_reason = rejection ? rejection.reason : 'NONE';
    engine.version++;
    const value: JsonObject = {
      event: t.status,
      message_template_id: Number(t.id),
      message_template_name: t.name,
      message_template_language: t.language,
      reason: rejection ? rejection.reason : 'NONE',
      message_template_category: t.category,
    };
    if (rejection) value.rejection_info = { reason: rejection.detail, recommendation: rejection.recommendation };
    engine.o.log(`template ${t.name} (${t.language}) ${t.status}`);
    void engine.deliverChange('message_template_status_update', value);
  }, engine.o.templateReviewMs);
}

/** `POST /{WABA}/message_templates`. */
export function createTemplate(ctx: Ctx): RouteResult {
  const { template, rejection } = ctx.engine.templates.create(params(ctx));
  if (template.status === 'APPROVED') {
    // From the template library: approved at once (Meta's template library guide).
    ctx.engine.version++;
    return { id: template.id, status: 'APPROVED', category: template.category };
  }
  scheduleReview(ctx.engine, template, rejection);
  return { id: template.id, status: 'PENDING', category: template.category };
}

/** `DELETE /{WABA}/message_templates?name=…[&hsm_id=…]`. */
export function deleteTemplates(ctx: Ctx): RouteResult {
  const p = params(ctx);
  const name = typeof p.name === 'string' ? p.name : undefined;
  const hsm = p.hsm_id === undefined ? undefined : String(p.hsm_id);
  ctx.engine.templates.delete(name, hsm);
  ctx.engine.version++;
  return { success: true };
}

/** `GET /{template-id}`. */
export function getTemplate(ctx: Ctx, id: string): RouteResult {
  const t = ctx.engine.templates.byId(id);
  if (!t) throw new GraphError(100, undefined, { subcode: 33 });
  return projectTemplate(t, fieldsOf(ctx));
}

/** `POST /{template-id}`: edit components/category; only APPROVED, REJECTED or PAUSED templates can be edited. */
export function editTemplate(ctx: Ctx, id: string): RouteResult {
  const t = ctx.engine.templates.byId(id)!;
  if (!['APPROVED', 'REJECTED', 'PAUSED'].includes(t.status)) {
    throw invalidParam(`Templates with status ${t.status} cannot be edited`);
  }
  const p = params(ctx);
  if (p.components === undefined && p.category === undefined) throw invalidParam('Nothing to edit: send components and/or category');
  if (p.components !== undefined) {
    if (!Array.isArray(p.components) || !p.components.length) throw invalidParam('Param components must be a non-empty array');
    t.components = p.components as unknown as TemplateComponent[];
  }
  if (typeof p.category === 'string') t.category = p.category.toUpperCase();
  t.status = 'PENDING';
  scheduleReview(ctx.engine, t, reviewRejection(t));
  return { success: true } as Json;
}
