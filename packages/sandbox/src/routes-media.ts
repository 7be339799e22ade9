/**
 * Media routes: upload (`POST /{phone}/media`), lookup (`GET /{media-id}`), delete, and the download URL
 * the lookup hands out (`/_media/{id}?ext=…&hash=…`, bearer token required, expires like Meta's 5 minutes).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requireToken } from './auth';
import type { Ctx, RouteResult } from './context';
import type { Engine } from './engine';
import { GraphError, invalidParam } from './errors';
import { queryOf, sendJson } from './http-util';

/** `POST /{phone}/media` (multipart). */
export async function uploadMedia(ctx: Ctx): Promise<RouteResult> {
  const { media, summary } = await ctx.engine.media.upload(ctx.raw, ctx.req.headers['content-type']);
  ctx.rec.body = summary;
  return { id: media.id };
}

function checkPhoneParam(ctx: Ctx): void {
  const p = ctx.query.phone_number_id;
  if (p !== undefined && p !== ctx.engine.o.phoneNumberId) throw invalidParam(`Param phone_number_id '${p}' does not own this media`);
}

/** `GET /{media-id}`. */
export function getMedia(ctx: Ctx, id: string): RouteResult {
  checkPhoneParam(ctx);
  const e = ctx.engine;
  const m = e.media.get(id);
  if (!m) throw new GraphError(100, undefined, { subcode: 33 });
  return {
    messaging_product: 'whatsapp',
    url: `${e.baseUrl}${e.media.downloadPath(id)}`,
    mime_type: m.mimeType,
    sha256: m.sha256Hex,
    file_size: m.data.length,
    id: m.id,
  };
}

/** `DELETE /{media-id}`. */
export function deleteMedia(ctx: Ctx, id: string): RouteResult {
  checkPhoneParam(ctx);
  ctx.engine.media.delete(id);
  return { success: true };
}

/** `GET /_media/{id}?ext=&hash=` — the download itself; answers like Meta's lookaside host. */
export function downloadMedia(engine: Engine, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const query = queryOf(url);
  const id = decodeURIComponent(url.pathname.slice('/_media/'.length));
  const rec = { method: req.method ?? 'GET', path: url.pathname, query: { ext: query.ext ?? '' }, body: undefined, status: 0, at: engine.o.now() };
  engine.requests.push(rec);
  try {
    requireToken(req, query, engine.o.accessToken);
  } catch (err) {
    const ge = err as GraphError;
    rec.status = 401;
    (rec as { errorCode?: number }).errorCode = ge.code;
    sendJson(res, 401, ge.toBody(engine.ids.fbtrace()));
    return;
  }
  const m = engine.media.checkDownload(id, query.ext, query.hash);
  if (m === 'expired' || m === 'invalid') {
    rec.status = 404;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(m === 'expired' ? 'URL signature expired' : 'Not found');
    return;
  }
  rec.status = 200;
  res.writeHead(200, {
    'content-type': m.mimeType,
    'content-length': m.data.length,
    ...(m.filename ? { 'content-disposition': `attachment; filename="${m.filename.replace(/"/g, '')}"` } : {}),
  });
  res.end(m.data);
}
