import { ValidationError } from '../errors/error-classes';
import type { GraphApi } from '../http/graph-api';
import { DEFAULT_BASE_URL } from '../version';

/**
 * Flow management through the Graph API (Meta's Flows API): enough to find a Flow, look at it and
 * publish it, then wire its id into a Flow message.
 */

/** One Flow as listed (`GET /{WABA_ID}/flows`). */
export interface FlowInfo {
  id: string;
  name: string;
  /** DRAFT, PUBLISHED, DEPRECATED, BLOCKED or THROTTLED. */
  status: string;
  categories: string[];
  /** Problems that stop publishing, as Meta reports them. */
  validationErrors: unknown[];
}

/** A Flow's web preview (valid 30 days unless invalidated). */
export interface FlowPreview {
  flowId: string;
  previewUrl: string;
  expiresAt?: string;
}

interface FlowPage {
  data?: Array<{ id?: string; name?: string; status?: string; categories?: string[]; validation_errors?: unknown[] }>;
  paging?: { cursors?: { after?: string }; next?: string };
}

function requireId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\d+$/.test(value.trim())) {
    throw new ValidationError(field, `"${String(value ?? '')}" is not an id (digits only)`, field === 'wabaId'
      ? 'Fill in the WhatsApp Business Account ID in the credentials (WhatsApp Manager → API Setup).'
      : 'Use the Flow ID from WhatsApp Manager → Flows, or the id from the List Flows operation.');
  }
  return value.trim();
}

/**
 * Lists the WABA's Flows, every page.
 * @example
 * const flows = await listFlows(graph, wabaId); // [{ id, name, status: 'PUBLISHED', … }]
 */
export async function listFlows(graph: GraphApi, wabaId: string, options: { maxPages?: number } = {}): Promise<FlowInfo[]> {
  const waba = requireId('wabaId', wabaId);
  const flows: FlowInfo[] = [];
  let after: string | undefined;
  for (let page = 0; page < (options.maxPages ?? 50); page++) {
    const body = await graph.request<FlowPage>('GET', `${waba}/flows`, { query: { fields: 'id,name,status,categories,validation_errors', limit: 100, after } });
    for (const flow of body.data ?? []) {
      flows.push({
        id: String(flow.id ?? ''),
        name: flow.name ?? '',
        status: flow.status ?? '',
        categories: flow.categories ?? [],
        validationErrors: flow.validation_errors ?? [],
      });
    }
    after = body.paging?.cursors?.after;
    if (!body.paging?.next || !after || (body.data ?? []).length === 0) break;
  }
  return flows;
}

/**
 * Gets a Flow's preview URL (`GET /{FLOW_ID}?fields=preview.invalidate(…)`): a web page that
 * shows the Flow as users will see it. `invalidate` asks Meta for a new link (the old one stops).
 * @example
 * const { previewUrl } = await getFlowPreview(graph, flowId);
 */
export async function getFlowPreview(graph: GraphApi, flowId: string, options: { invalidate?: boolean } = {}): Promise<FlowPreview> {
  const id = requireId('flowId', flowId);
  const body = await graph.request<{ id?: string; preview?: { preview_url?: string; expires_at?: string } }>('GET', id, {
    query: { fields: `preview.invalidate(${options.invalidate === true})` },
  });
  const previewUrl = body.preview?.preview_url;
  if (!previewUrl) {
    throw new ValidationError('flowId', `Meta returned no preview for Flow ${id}`, 'Check that the Flow exists in this WhatsApp Business Account and has Flow JSON.');
  }
  return { flowId: String(body.id ?? id), previewUrl, ...(body.preview?.expires_at ? { expiresAt: body.preview.expires_at } : {}) };
}

/**
 * Publishes a draft Flow (`POST /{FLOW_ID}/publish`). Irreversible: a published Flow can no longer
 * be edited, only deprecated. Meta refuses a Flow with validation errors (code 139001).
 * @example
 * await publishFlow(graph, flowId); // { success: true }
 */
export async function publishFlow(graph: GraphApi, flowId: string): Promise<{ success: boolean; flowId: string }> {
  const id = requireId('flowId', flowId);
  const body = await graph.request<{ success?: boolean }>('POST', `${id}/publish`, { json: {} });
  return { success: body.success === true, flowId: id };
}

/**
 * The endpoint URL a Flow calls for data (`endpoint_uri`), or undefined when it has none.
 * @example
 * const url = await getFlowEndpoint(graph, flowId);
 */
export async function getFlowEndpoint(graph: GraphApi, flowId: string): Promise<string | undefined> {
  const id = requireId('flowId', flowId);
  const body = await graph.request<{ endpoint_uri?: string }>('GET', id, { query: { fields: 'endpoint_uri' } });
  return body.endpoint_uri || undefined;
}

/**
 * Sets the Flow's endpoint (`POST /{FLOW_ID}` with `endpoint_uri`, Meta's "update Flow metadata").
 * Meta calls only https endpoints; a local Graph emulator (the sandbox) accepts http too, so the
 * https rule applies when the calls go to Meta's host.
 * @throws ValidationError for a URL Meta would refuse (before any request)
 * @example
 * await setFlowEndpoint(graph, flowId, 'https://n8n.example/webhook/…/whatsapp-flow');
 */
export async function setFlowEndpoint(graph: GraphApi, flowId: string, endpointUri: string): Promise<{ success: boolean }> {
  const id = requireId('flowId', flowId);
  const scheme = graph.baseUrl === DEFAULT_BASE_URL ? /^https:\/\/[^\s/]+/i : /^https?:\/\/[^\s/]+/i;
  if (typeof endpointUri !== 'string' || !scheme.test(endpointUri)) {
    throw new ValidationError('endpointUri', 'must be an https:// URL (Meta calls Flow endpoints over https with a CA-signed certificate only)');
  }
  const body = await graph.request<{ success?: boolean }>('POST', id, { json: { endpoint_uri: endpointUri } });
  return { success: body.success === true };
}
