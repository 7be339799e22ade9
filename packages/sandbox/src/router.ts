/**
 * HTTP entry point: sends the chat page and its JSON endpoints to `page-api.ts`, media downloads to
 * `routes-media.ts`, and everything else through Graph's pipeline: record → token (190) → route by
 * object ID (unknown IDs: code 100 / subcode 33, like Graph) → latency → JSON answer or Graph error.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requireToken } from './auth';
import { HANDLED, type Ctx, type RouteResult } from './context';
import type { Engine } from './engine';
import { GraphError, unknownObject } from './errors';
import { parseParams, queryOf, readBody, sendJson } from './http-util';
import { handlePage } from './page-api';
import * as account from './routes-account';
import * as analytics from './routes-analytics';
import * as flows from './flows';
import * as groups from './groups';
import { postMarketingMessages, postMessages } from './routes-messages';
import { deleteMedia, downloadMedia, getMedia, uploadMedia } from './routes-media';
import * as templates from './routes-templates';
import type { RequestRecord } from './types';

const VERSION = /^v\d+\.\d+$/;

function unknownEdge(edge: string): GraphError {
  return new GraphError(2500, undefined, { message: `Unknown path components: /${edge}` });
}

/** Dispatches a Graph call to its handler. */
async function route(ctx: Ctx): Promise<RouteResult> {
  const e = ctx.engine;
  const m = ctx.method;
  const [id, edge, ...rest] = ctx.segs;
  if (!id) throw unknownEdge('');
  if (rest.length) throw unknownEdge(`${edge}/${rest.join('/')}`);
  const unsupported = (): GraphError => unknownObject(m, id);

  if (id === 'debug_token' && !edge) {
    if (m !== 'GET') throw unsupported();
    return account.debugToken(ctx);
  }
  if (id === e.o.phoneNumberId) {
    switch (edge ?? '') {
      case '':
        if (m === 'GET') return account.getPhone(ctx);
        if (m === 'POST') return account.updatePhone(ctx);
        throw unsupported();
      case 'messages':
        if (m === 'POST' && (ctx.body as { recipient_type?: unknown } | undefined)?.recipient_type === 'group') return groups.postGroupMessage(ctx);
        if (m === 'POST') return postMessages(ctx);
        throw unsupported();
      case 'marketing_messages':
        if (m === 'POST') return postMarketingMessages(ctx);
        throw unsupported();
      case 'media':
        if (m === 'POST') return uploadMedia(ctx);
        throw unsupported();
      case 'register':
        if (m === 'POST') return account.register(ctx);
        throw unsupported();
      case 'deregister':
        if (m === 'POST') return account.deregister(ctx);
        throw unsupported();
      case 'whatsapp_business_profile':
        if (m === 'GET') return account.getProfile(ctx);
        if (m === 'POST') return account.updateProfile(ctx);
        throw unsupported();
      case 'groups':
        if (m === 'POST') return groups.createGroup(ctx);
        throw unsupported();
      case 'block_users':
        if (m === 'GET') return account.listBlocked(ctx);
        if (m === 'POST') return account.blockUsers(ctx);
        if (m === 'DELETE') return account.unblockUsers(ctx);
        throw unsupported();
      default:
        throw unknownEdge(edge);
    }
  }
  if (id === e.o.wabaId) {
    switch (edge ?? '') {
      case '':
        if (m === 'GET' && analytics.wantsPricingAnalytics(ctx)) return analytics.pricingAnalytics(ctx);
        if (m === 'GET') return account.getWaba(ctx);
        throw unsupported();
      case 'template_analytics':
        if (m === 'GET') return analytics.templateAnalytics(ctx);
        throw unsupported();
      case 'phone_numbers':
        if (m === 'GET') return account.listPhones(ctx);
        throw unsupported();
      case 'message_templates':
        if (m === 'GET') return templates.listTemplates(ctx);
        if (m === 'POST') return templates.createTemplate(ctx);
        if (m === 'DELETE') return templates.deleteTemplates(ctx);
        throw unsupported();
      case 'flows':
        if (m === 'GET') return flows.listFlows(ctx);
        throw unsupported();
      case 'subscribed_apps':
        if (m === 'GET') return account.listSubscribedApps(ctx);
        if (m === 'POST') return account.subscribeApp(ctx);
        if (m === 'DELETE') return account.unsubscribeApp(ctx);
        throw unsupported();
      default:
        throw unknownEdge(edge);
    }
  }
  if (e.media.get(id)) {
    if (edge) throw unknownEdge(edge);
    if (m === 'GET') return getMedia(ctx, id);
    if (m === 'DELETE') return deleteMedia(ctx, id);
    throw unsupported();
  }
  const group = groups.groupStateOf(e).groups.get(id);
  if (group) {
    if (edge === 'invite_link' && (m === 'GET' || m === 'POST')) return groups.groupInviteLink(ctx, group);
    if (edge) throw unknownEdge(edge);
    if (m === 'GET') return groups.getGroup(ctx, group);
    throw unsupported();
  }
  if (flows.flowsOf(e).has(id)) {
    if (edge === 'publish' && m === 'POST') return flows.publishFlow(ctx, id);
    if (edge) throw unknownEdge(edge);
    if (m === 'GET') return flows.getFlow(ctx, id);
    if (m === 'POST') return flows.updateFlow(ctx, id);
    throw unsupported();
  }
  if (e.templates.byId(id)) {
    if (edge) throw unknownEdge(edge);
    if (m === 'GET') return templates.getTemplate(ctx, id);
    if (m === 'POST') return templates.editTemplate(ctx, id);
    throw unsupported();
  }
  throw unsupported();
}

async function handleGraph(engine: Engine, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const query = queryOf(url);
  // The recorded query never keeps a token passed as `access_token` (tests and logs may print records).
  const recordedQuery = { ...query };
  if (recordedQuery.access_token) recordedQuery.access_token = '<redacted>';
  if (recordedQuery.input_token) recordedQuery.input_token = '<redacted>';
  const rec: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query: recordedQuery, body: undefined, status: 0, at: engine.o.now() };
  engine.requests.push(rec);

  const answer = async (status: number, body: Parameters<typeof sendJson>[2], code?: number): Promise<void> => {
    await engine.sleep(engine.o.latencyMs);
    if (res.destroyed) return;
    rec.status = status;
    if (code !== undefined) rec.errorCode = code;
    sendJson(res, status, body);
    engine.o.log(`${rec.method} ${rec.path} → ${status}${code !== undefined ? ` (#${code})` : ''}`);
  };

  let raw: Buffer;
  try {
    raw = await readBody(req);
  } catch {
    const err = new GraphError(100, 'Request body too large');
    return answer(413, err.toBody(engine.ids.fbtrace()), 100);
  }
  const ct = req.headers['content-type'];
  if (!(ct && /multipart\//i.test(ct))) rec.body = parseParams(raw, ct);

  const segs = url.pathname.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const version = segs[0] && VERSION.test(segs[0]) ? segs.shift() : undefined;
  const ctx: Ctx = { engine, req, res, method: rec.method, version, segs, query, body: rec.body, raw, rec };
  try {
    requireToken(req, query, engine.o.accessToken);
    const result = await route(ctx);
    if (result === HANDLED) {
      engine.o.log(`${rec.method} ${rec.path} → connection reset (fault ${rec.fault ?? ''})`);
      return;
    }
    await answer(200, result);
  } catch (err) {
    if (err instanceof GraphError) {
      await answer(err.http, err.toBody(engine.ids.fbtrace()), err.code);
      return;
    }
    // A sandbox bug must still look like Graph's unknown error to the client, but be visible to the user.
    engine.o.log(`internal error on ${rec.method} ${rec.path}: ${(err as Error).stack ?? String(err)}`);
    const ge = new GraphError(1, undefined, { message: 'An unknown error occurred', http: 500 });
    await answer(500, ge.toBody(engine.ids.fbtrace()), 1);
  }
}

/** The node:http request listener of a sandbox. */
export function createRequestListener(engine: Engine): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    let p: Promise<void>;
    if (url.pathname === '/' || url.pathname.startsWith('/_sandbox/')) p = handlePage(engine, req, res, url);
    else if (url.pathname.startsWith('/_media/')) p = Promise.resolve(downloadMedia(engine, req, res, url));
    else p = handleGraph(engine, req, res, url);
    p.catch((err: unknown) => {
      engine.o.log(`internal error: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: { message: 'internal sandbox error' } });
    });
  };
}
