/**
 * WhatsApp Flows management as Meta's Flows API answers it: `GET /{WABA}/flows`, `GET /{FLOW_ID}`
 * (with the `preview.invalidate(…)` field), `POST /{FLOW_ID}/publish`. Flows live per sandbox; a draft
 * with validation errors cannot be published (139001), a published one cannot be published again.
 */
import { fieldsOf, params, type Ctx, type RouteResult } from './context';
import type { Engine } from './engine';
import { GraphError, invalidParam } from './errors';
import type { JsonObject } from './types';

/** A Flow the sandbox knows. */
export interface SandboxFlow {
  id: string;
  name: string;
  status: 'DRAFT' | 'PUBLISHED' | 'DEPRECATED' | 'BLOCKED' | 'THROTTLED';
  categories: string[];
  validation_errors: JsonObject[];
  /** Preview link version: bumped by `preview.invalidate(true)`. */
  previewVersion: number;
  /** The data endpoint WhatsApp calls (`endpoint_uri`), set by `POST /{FLOW_ID}`. */
  endpoint_uri?: string;
}

/** The Flows every sandbox starts with. */
export function defaultFlows(): SandboxFlow[] {
  return [
    { id: '400000000000001', name: 'appointment_booking', status: 'PUBLISHED', categories: ['APPOINTMENT_BOOKING'], validation_errors: [], previewVersion: 1 },
    { id: '400000000000002', name: 'lead_form', status: 'DRAFT', categories: ['LEAD_GENERATION'], validation_errors: [], previewVersion: 1 },
    {
      id: '400000000000003',
      name: 'broken_survey',
      status: 'DRAFT',
      categories: ['SURVEY'],
      validation_errors: [{ error: 'INVALID_PROPERTY_VALUE', error_type: 'FLOW_JSON_ERROR', message: 'Invalid value found for property: "type".', line_start: 12, line_end: 12 }],
      previewVersion: 1,
    },
  ];
}

const state = new WeakMap<Engine, Map<string, SandboxFlow>>();

/** The Flows of this sandbox (created with the defaults on first use). */
export function flowsOf(engine: Engine): Map<string, SandboxFlow> {
  let flows = state.get(engine);
  if (!flows) {
    flows = new Map(defaultFlows().map((flow) => [flow.id, flow]));
    state.set(engine, flows);
  }
  return flows;
}

function view(flow: SandboxFlow): JsonObject {
  return {
    id: flow.id,
    name: flow.name,
    status: flow.status,
    categories: flow.categories,
    validation_errors: flow.validation_errors,
    ...(flow.endpoint_uri ? { endpoint_uri: flow.endpoint_uri } : {}),
  };
}

/** `GET /{WABA}/flows`. */
export function listFlows(ctx: Ctx): RouteResult {
  const data = [...flowsOf(ctx.engine).values()].map(view);
  const cursor = Buffer.from('sandbox-flows').toString('base64');
  return { data, paging: { cursors: { before: cursor, after: cursor } } };
}

/** `GET /{FLOW_ID}?fields=…` with `preview.invalidate(true|false)`. */
export function getFlow(ctx: Ctx, id: string): RouteResult {
  const flow = flowsOf(ctx.engine).get(id)!;
  const raw = ctx.query.fields ?? '';
  const preview = /preview(\.invalidate\((true|false)\))?/.exec(raw);
  const out: JsonObject = {};
  for (const field of fieldsOf(ctx) ?? ['id', 'name', 'status', 'categories', 'validation_errors']) {
    if (field.startsWith('preview')) continue;
    const value = view(flow)[field];
    if (field === 'endpoint_uri') {
      if (value !== undefined) out[field] = value;
      continue;
    }
    if (value === undefined) throw new GraphError(100, undefined, { message: `(#100) Tried accessing nonexisting field (${field}) on node type (WhatsAppFlow)` });
    out[field] = value;
  }
  if (preview) {
    if (preview[2] === 'true') flow.previewVersion += 1;
    const expires = new Date(ctx.engine.o.now() + 30 * 24 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+0000');
    out.preview = { preview_url: `https://business.facebook.com/wa/manage/flows/${flow.id}/preview/?token=sandbox-${flow.previewVersion}`, expires_at: expires };
  }
  out.id = flow.id;
  return out;
}

/** `POST /{FLOW_ID}/publish`. */
export function publishFlow(ctx: Ctx, id: string): RouteResult {
  const flow = flowsOf(ctx.engine).get(id)!;
  if (flow.validation_errors.length) {
    throw new GraphError(139001, `Publishing Flow in invalid state: the Flow JSON has ${flow.validation_errors.length} validation error(s).`, { message: '(#139001) Error while publishing Flow' });
  }
  if (flow.status !== 'DRAFT') {
    throw new GraphError(139001, `Flow is in ${flow.status} status; only a DRAFT Flow can be published.`, { message: '(#139001) Error while publishing Flow' });
  }
  flow.status = 'PUBLISHED';
  ctx.engine.o.log(`flow ${flow.id} (${flow.name}) published`);
  return { success: true };
}

/** `POST /{FLOW_ID}` (update metadata): `endpoint_uri`, `name`, `categories`. */
export function updateFlow(ctx: Ctx, id: string): RouteResult {
  const flow = flowsOf(ctx.engine).get(id)!;
  const p = params(ctx);
  if (p.endpoint_uri !== undefined) {
    if (typeof p.endpoint_uri !== 'string' || !/^https?:\/\/\S+$/.test(p.endpoint_uri)) throw invalidParam('Param endpoint_uri must be a valid URL');
    flow.endpoint_uri = p.endpoint_uri;
  }
  if (typeof p.name === 'string' && p.name) flow.name = p.name;
  if (Array.isArray(p.categories)) flow.categories = p.categories.map(String);
  return { success: true };
}
