import { MAX_WEBHOOK_BYTES, readWebhookBody } from './core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExpressApp, Handler } from './node-red';

/** Where the reader leaves the exact request bytes. */
export interface RawBodyRequest extends IncomingMessage {
  whatsappRawBody?: Buffer;
  /** Set by body-parser once it consumed the stream (and by our capture, so no parser does). */
  _body?: boolean;
}

/**
 * Reads the request body as the exact bytes Meta signed. `RED.httpNode` has no body parser and
 * never keeps raw bytes, so the webhook route brings its own reader:
 * - a body over 3 MB (declared or streamed) is answered 413 at once, and the connection closed;
 * - a body some `httpNodeMiddleware` already consumed cannot be verified: answered 500 and
 *   reported through `onConsumed` (failing open would accept unsigned posts).
 */
export function rawBodyReader(onConsumed: () => void, limit = MAX_WEBHOOK_BYTES): Handler {
  return (req, res, next) => {
    const raw = req as RawBodyRequest;
    if (Buffer.isBuffer(raw.whatsappRawBody)) {
      next(); // read by the root-level capture below
      return;
    }
    if (raw._body === true || req.readableEnded) {
      onConsumed();
      res.status(500).type('text/plain').send('Webhook body was already read by another middleware (httpNodeMiddleware): its signature cannot be checked');
      return;
    }
    readInto(raw, res, limit, next);
  };
}

/** Reads the body into `req.whatsappRawBody` (core's reader: 413 over `limit`, with a lingering close). */
export function readInto(req: RawBodyRequest, res: ServerResponse, limit: number, next: (err?: unknown) => void): void {
  readWebhookBody(req, res, limit).then((body) => {
    if (!body) return; // answered 413
    req.whatsappRawBody = body;
    next();
  }, next);
}

/**
 * The webhook routes' bodies, read before anything else sees them. Node-RED mounts its admin app
 * and `RED.httpNode` under one root app; with both at "/" (the default) the admin app's JSON body
 * parser consumes every JSON POST before it reaches a node route. Like Node-RED's own http in node
 * (raw body option, 4.1), one middleware at the top of the root app's stack reads the exact bytes
 * of the registered routes (and marks the request parsed, so no parser touches it afterwards).
 */
const captured = new Map<string, number>();
const installed = new WeakSet<object>();

interface AppWithParent extends ExpressApp {
  parent?: AppWithParent;
  path?: () => string;
  use?: (handler: Handler) => void;
}

function rootApp(app: AppWithParent): AppWithParent {
  return app.parent ? rootApp(app.parent) : app;
}

/** Express matches routes case-insensitively, so must the capture (else `POST /WhatsApp` gets no raw body). */
function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()}:${path.replace(/\/{2,}/g, '/').replace(/\/$/, '').toLowerCase()}`;
}

function fullPath(app: AppWithParent, path: string): string {
  const mount = typeof app.path === 'function' ? app.path() : '';
  return `${mount}/${path}`;
}

/** Starts capturing POST bodies for `path` of `app` (RED.httpNode); returns the release function. */
export function captureRawBodies(app: ExpressApp, path: string, limit = MAX_WEBHOOK_BYTES): () => void {
  const node = app as AppWithParent;
  const root = rootApp(node);
  const key = routeKey('POST', fullPath(node, path));
  if (!installed.has(root) && typeof root.use === 'function') {
    installed.add(root);
    const capture: Handler = (req, res, next) => {
      if (req.method !== 'POST' || captured.size === 0) return next();
      const pathname = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://localhost').pathname;
      if (!captured.has(routeKey('POST', pathname))) return next();
      const raw = req as RawBodyRequest;
      if (raw._body === true || req.readableEnded) return next();
      readInto(raw, res, limit, (err) => {
        if (!err) raw._body = true;
        next(err);
      });
    };
    root.use(capture);
    const stack = (root._router ?? root.router)?.stack as Array<{ handle?: unknown }> | undefined;
    const index = stack?.findIndex((layer) => layer.handle === capture) ?? -1;
    if (stack && index > 0) stack.unshift(stack.splice(index, 1)[0]!);
  }
  captured.set(key, (captured.get(key) ?? 0) + 1);
  return () => {
    const count = (captured.get(key) ?? 1) - 1;
    if (count > 0) captured.set(key, count);
    else captured.delete(key);
  };
}
