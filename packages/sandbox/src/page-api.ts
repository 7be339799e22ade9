/**
 * The chat page and its small JSON API (no token: the sandbox binds loopback and the page plays the user).
 * `POST /_sandbox/inbound` only accepts `application/json`, which a cross-origin page cannot send without a
 * CORS preflight the sandbox never approves: another website open in the same browser cannot inject messages.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CHAT_PAGE_HTML } from './chat-page';
import type { Engine } from './engine';
import { readBody, sendJson } from './http-util';
import type { InboundMessage, Json, JsonObject } from './types';
import { inboundView, outboundView } from './views';
import { redactUrl } from './webhooks';

/** The state the page draws, from the user's point of view. */
export function pageState(e: Engine): JsonObject {
  const now = e.o.now();
  const convs: JsonObject[] = [];
  for (const [waId, c] of e.conversations) {
    const items: Array<JsonObject & { at: number; seq: number }> = [];
    let seq = 0;
    for (const m of e.messages) {
      if (m.waId !== waId) continue;
      const last = m.statuses[m.statuses.length - 1];
      const err = m.errors[0];
      items.push({
        dir: 'out',
        id: m.id,
        at: m.acceptedAt,
        seq: seq++,
        view: outboundView(m.body, e.templates) as unknown as Json,
        status: last ? last.status : 'accepted',
        error: err ? { code: err.code, title: err.title } : null,
      });
    }
    for (const i of e.inbounds) {
      if (i.from !== waId) continue;
      items.push({ dir: 'in', id: i.id, at: i.at, seq: seq++, view: inboundView(i.message) as unknown as Json, read: i.readAt !== undefined });
    }
    items.sort((a, b) => a.at - b.at || a.seq - b.seq);
    convs.push({
      waId,
      name: c.name,
      windowOpen: e.window.isOpen(waId),
      windowExpiresAt: e.window.expiresAt(waId),
      windowMsLeft: Math.max(0, e.window.expiresAt(waId) - now),
      typing: (e.typing.get(waId) ?? 0) > now,
      blocked: e.account.blocked.has(waId),
      lastAt: items.length ? items[items.length - 1].at : 0,
      items: items.map(({ seq: _seq, ...rest }) => rest),
    });
  }
  convs.sort((a, b) => (b.lastAt as number) - (a.lastAt as number));
  const target = e.webhookTarget();
  return {
    version: e.version,
    business: { name: e.o.verifiedName, phoneNumberId: e.o.phoneNumberId, displayPhoneNumber: e.o.displayPhoneNumber },
    webhook: target ? redactUrl(target) : null,
    conversations: convs,
  };
}

/** Serves `/`, `/_sandbox/state`, `/_sandbox/inbound` and `/_sandbox/media/{id}`. */
export async function handlePage(e: Engine, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  const path = url.pathname;
  if (path === '/' && method === 'GET') {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // Inline script and style only; nothing loaded from elsewhere.
      'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data: http: https:",
    });
    res.end(CHAT_PAGE_HTML);
    return;
  }
  if (path === '/_sandbox/state' && method === 'GET') {
    const since = Number(url.searchParams.get('since'));
    if (url.searchParams.has('since') && since === e.version) {
      // Windows and typing indicators expire with time, so the page still refreshes every few polls.
      sendJson(res, 200, { version: e.version, unchanged: true });
      return;
    }
    sendJson(res, 200, pageState(e));
    return;
  }
  if (path === '/_sandbox/inbound' && method === 'POST') {
    if (!/application\/json/i.test(req.headers['content-type'] ?? '')) {
      sendJson(res, 415, { error: 'send application/json' });
      return;
    }
    let body: JsonObject;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8')) as JsonObject;
    } catch {
      sendJson(res, 400, { error: 'invalid JSON' });
      return;
    }
    const from = typeof body.from === 'string' ? body.from : '';
    if (!/\d{5,}/.test(from)) {
      sendJson(res, 400, { error: '`from` must be a phone number' });
      return;
    }
    const context = typeof body.context === 'string' && body.context ? { id: body.context } : undefined;
    let msg: InboundMessage;
    if (typeof body.text === 'string') msg = { from, text: body.text, context };
    else if (typeof body.type === 'string' && typeof body.payload === 'object' && body.payload !== null && !Array.isArray(body.payload)) {
      msg = { from, type: body.type, payload: body.payload, context };
    } else {
      sendJson(res, 400, { error: 'send {from, text} or {from, type, payload}' });
      return;
    }
    const id = await e.inbound(msg, { name: typeof body.name === 'string' && body.name ? body.name : undefined });
    sendJson(res, 200, { id });
    return;
  }
  if (path.startsWith('/_sandbox/media/') && method === 'GET') {
    const m = e.media.get(decodeURIComponent(path.slice('/_sandbox/media/'.length)));
    if (!m) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found');
      return;
    }
    res.writeHead(200, { 'content-type': m.mimeType, 'content-length': m.data.length });
    res.end(m.data);
    return;
  }
  sendJson(res, 404, { error: 'not found' });
}
