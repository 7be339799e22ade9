/**
 * Webhook paths answered on Node-RED's HTTP server itself, before Express sees the request.
 *
 * Why: a request to `RED.httpNode` first walks Node-RED's root app, the admin app and the node
 * app's middleware (body parsers, cookie parser, CORS, routing); on a 2-core machine that stack
 * alone caps a route at about a fifth of what a bare `node:http` server answers (bench measure 4:
 * Node-RED's own `http in → http response` scores the same). Meta redelivers anything not acked
 * in time, so the webhook is the one route where that matters. The websocket node does the same
 * on `RED.server` (its `upgrade` event) with the same path rule: httpNodeRoot + the node's path.
 *
 * Only Meta's own requests to a registered path are taken: a POST carrying X-Hub-Signature-256, a
 * GET carrying hub.mode. Everything else (other paths, methods or callers) is emitted to Node-RED's
 * own listeners unchanged, so nothing meant for the editor, which Express serves first, or for an
 * http in node on the same path is taken. Removing a path (node closed on redeploy) hands it back
 * to Express, where the node's fallback routes are removed too.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export type RawHandler = (req: IncomingMessage, res: ServerResponse) => void;

interface RoutedServer extends Server {
  [ROUTES]?: Map<string, RawHandler[]>;
}

const ROUTES = Symbol.for('@wa-cloud/node-red.webhook-routes');

/** The settings that decide whether the fast path may be used (see `fastPathOff`). */
export interface HttpNodeSettings {
  httpNodeRoot?: unknown;
  httpNodeMiddleware?: unknown;
  httpNodeAuth?: unknown;
  httpAdminRoot?: unknown;
  httpAdminMiddleware?: unknown;
  whatsappCloudInFastPath?: unknown;
}

/**
 * Why requests to `path` (under httpNodeRoot) must go through Express instead (undefined: the fast
 * path is fine). httpNodeAuth guards every node route; httpNodeMiddleware runs in front of every
 * http in route (and ours); httpAdminMiddleware runs in front of everything under the editor's
 * root, node routes included when the roots overlap (both "/" by default). A user who set any of
 * them expects the webhook behind it, so it stays there.
 */
export function fastPathOff(server: unknown, settings: HttpNodeSettings, path: string): string | undefined {
  if (settings.whatsappCloudInFastPath === false) return 'whatsappCloudInFastPath is false in settings.js';
  if (!server || typeof (server as Server).emit !== 'function') return 'the runtime has no HTTP server (RED.server)';
  if (typeof settings.httpNodeRoot !== 'string') return 'httpNodeRoot is not a path';
  if (settings.httpNodeAuth) return 'httpNodeAuth is set';
  if (settings.httpNodeMiddleware) return 'httpNodeMiddleware is set';
  if (settings.httpAdminMiddleware && typeof settings.httpAdminRoot === 'string') {
    const adminRoot = fullWebhookPath(settings.httpAdminRoot, '');
    const full = fullWebhookPath(settings.httpNodeRoot, path);
    if (adminRoot === '/' || full === adminRoot || full.startsWith(`${adminRoot}/`)) return 'httpAdminMiddleware is set and the editor shares the path';
  }
  return undefined;
}

/** What Meta sends: its signed POSTs and its subscription check. */
function fromMeta(req: IncomingMessage): boolean {
  if (req.method === 'POST') return req.headers['x-hub-signature-256'] !== undefined;
  if (req.method === 'GET') return /[?&]hub\.mode=/.test(req.url ?? '');
  return false;
}

/** httpNodeRoot + path, as Node-RED's websocket node joins them. */
export function fullWebhookPath(httpNodeRoot: string, path: string): string {
  const root = httpNodeRoot.endsWith('/') ? httpNodeRoot : `${httpNodeRoot}/`;
  return normalise(root + (path.startsWith('/') ? path.slice(1) : path));
}

/** Express's defaults: case-insensitive, one trailing slash ignored; the query is not part of it. */
function normalise(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  return normalise(query < 0 ? raw : raw.slice(0, query));
}

/** Installs the dispatcher on `server` once: our paths first, then Node-RED's own listeners. */
function routesOf(server: RoutedServer): Map<string, RawHandler[]> {
  const existing = server[ROUTES];
  if (existing) return existing;
  const routes = new Map<string, RawHandler[]>();
  server[ROUTES] = routes;
  // emit, not the listener list: listeners added after us (Express is added before nodes start,
  // but embedding apps may add more) still never see a request we answered.
  const emit = server.emit;
  server.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request' && routes.size > 0) {
      const req = args[0] as IncomingMessage;
      const handlers = fromMeta(req) ? routes.get(pathOf(req.url)) : undefined;
      if (handlers) {
        handlers[0]!(req, args[1] as ServerResponse);
        return true;
      }
    }
    return emit.apply(this, [event, ...args] as Parameters<Server["emit"]>);
  } as Server['emit'];
  return routes;
}

/**
 * Answers Meta's GET and POST of `path` (the full path, httpNodeRoot included) with `handler` until
 * the returned function is called. Two nodes on one path: the first one answers, as with Express.
 * The handler must not throw: nothing between it and the server would catch it.
 */
export function routeOnServer(server: Server, path: string, handler: RawHandler): () => void {
  const routes = routesOf(server as RoutedServer);
  const key = normalise(path);
  routes.set(key, [...(routes.get(key) ?? []), handler]);
  return () => {
    const rest = (routes.get(key) ?? []).filter((h) => h !== handler);
    if (rest.length) routes.set(key, rest);
    else routes.delete(key);
  };
}
