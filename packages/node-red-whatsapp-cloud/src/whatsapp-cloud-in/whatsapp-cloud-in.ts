/**
 * `whatsapp-cloud-in`: the webhook Meta calls. Meta's requests are answered on Node-RED's HTTP
 * server directly (see lib/server-routes.ts: Express's stack costs four fifths of the throughput);
 * routes on `RED.httpNode` answer the rest, and everything when settings put middleware in front of
 * node routes (httpNodeAuth, httpNodeMiddleware, httpAdminMiddleware on a shared root) or an
 * embedding app mounts httpNode elsewhere. Either way the body is read as raw bytes, because
 * the signature covers the exact bytes. Core does the rest: verify, parse every item, drop
 * redeliveries, record the 24-hour window. One msg per event, on three outputs: messages,
 * statuses, everything else.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  downloadMedia,
  handleWebhookGet,
  handleWebhookPost,
  isForNumber,
  passesEventFilter,
  type EventFilter,
  MAX_WEBHOOK_BYTES,
  type InboundEvent,
  type InboundMessageEvent,
  replyAddress,
} from '../lib/core';
import { statusText, toNodeRedError } from '../lib/errors';
import { captureRawBodies, rawBodyReader, readInto, type RawBodyRequest } from '../lib/raw-body';
import { fastPathOff, fullWebhookPath, routeOnServer } from '../lib/server-routes';
import { checkTarget, registerOverride, registrationOf, releaseOverride, type OverrideTarget } from '../lib/webhook-registration';
import type { ExpressApp, Handler, Node, NodeAPI, NodeDef, NodeMessage } from '../lib/node-red';
import type { ConfigNode } from '../lib/types';

type MarkRead = 'off' | 'read' | 'typing';

interface InNode extends Node {
  config?: ConfigNode;
}

function routePath(value: unknown): string {
  const path = String(value ?? '').trim() || '/whatsapp';
  return path.startsWith('/') ? path : `/${path}`;
}

/** Removes this node's routes, as Node-RED's http in node does on close. */
function removeRoutes(app: ExpressApp, path: string, methods: string[]): void {
  const stack = (app._router ?? app.router)?.stack;
  if (!stack) return;
  for (let i = stack.length - 1; i >= 0; i--) {
    const route = stack[i]!.route;
    if (route && route.path === path && methods.some((m) => route.methods[m])) stack.splice(i, 1);
  }
}

function queryOf(req: IncomingMessage): Record<string, string> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  return Object.fromEntries(url.searchParams);
}

/** settings.js `httpNodeMiddleware`: Node-RED's http in node puts it in front of its routes; so do we. */
function userMiddleware(settings: Record<string, unknown>): Handler[] {
  const middleware = settings.httpNodeMiddleware;
  if (typeof middleware === 'function') return [middleware as Handler];
  return Array.isArray(middleware) ? (middleware as Handler[]) : [];
}

/** Plain-text answer through node:http only, so one handler serves both Express and the fast path. */
function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/** A list of strings from the editor, or undefined (flows saved before the option: pass everything). */
function chosen(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map(String) : undefined;
}

/** Who to answer: the WhatsApp id, or the business-scoped user id for username-only users. */
function sender(event: InboundMessageEvent): string | undefined {
  return replyAddress(event);
}

export = function register(RED: NodeAPI): void {
  function WhatsAppCloudInNode(this: InNode, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    node.name = def.name as string | undefined;
    const path = routePath(def.path);
    const markRead: MarkRead = def.markRead === 'read' || def.markRead === 'typing' ? def.markRead : 'off';
    const download = def.downloadMedia === true;
    // On unless switched off (flows saved before the option get the guard too): replays of a
    // captured, validly signed webhook older than the dedupe horizon start nothing.
    const dropReplays = def.dropReplays !== false;
    // Several numbers may share one app (and so one URL): by default only the config's number passes.
    const allNumbers = def.allNumbers === true;
    node.config = RED.nodes.getNode(def.config as string) as ConfigNode | undefined;
    const config = node.config;
    // New nodes start with Statuses = failed only (every status is still recorded in the ledger);
    // a node saved before the filter existed keeps passing everything, as it did.
    const ledgerOn = config?.settings.deliveryLedger === true;
    const filter: EventFilter = { events: chosen(def.events), statuses: chosen(def.statuses) };
    let badSignatures = 0;
    let received = 0;
    let storeProblemShown = false;

    if (!config) {
      node.status({ fill: 'red', shape: 'ring', text: 'no config node' });
      node.warn('No WhatsApp Cloud config node selected: the webhook route is not registered.');
      return;
    }
    config.register(node);
    const secrets = () => config.credentials ?? {};
    if (!secrets().appSecret) node.status({ fill: 'red', shape: 'ring', text: 'app secret missing' });
    else node.status({ fill: 'green', shape: 'dot', text: path });

    const toMsg = async (event: InboundEvent): Promise<NodeMessage> => {
      const msg: NodeMessage = { topic: event.kind === 'message' ? `message/${event.type}` : event.kind, payload: event, whatsapp: event };
      if (event.kind !== 'message') return msg;
      const to = sender(event);
      if (to) msg.to = to;
      if (download && event.media && config.client) {
        try {
          const file = await config.track(
            downloadMedia(config.client.graph, event.media.id, { url: event.media.url, sha256: event.media.sha256, phoneNumberId: event.phoneNumberId }),
          );
          msg.payload = file.data;
          msg.mimetype = file.mimeType;
          msg.filename = event.media.filename ?? file.filename;
        } catch (error) {
          // The message still goes out (as the event), with the reason the file is missing.
          const failure = toNodeRedError(error);
          msg.mediaError = failure.cause;
          node.warn(`Media ${event.media.id} not downloaded: ${failure.message}`);
        }
      }
      return msg;
    };

    const ownNumber = { phoneNumberId: config.settings.phoneNumberId ?? '', wabaId: config.settings.wabaId };
    const acknowledge = (event: InboundMessageEvent) => {
      // Only the config's own number can mark its messages read (another number's would be refused or wrong).
      if (markRead === 'off' || !config.client || !event.messageId || event.phoneNumberId !== ownNumber.phoneNumberId) return;
      config
        .track(config.client.markAsRead(event.messageId, { typing: markRead === 'typing' }))
        .catch((error) => node.warn(`Mark as read failed: ${toNodeRedError(error).message}`));
    };

    const emit = async (events: InboundEvent[]) => {
      for (const event of events) {
        if (!allNumbers && !isForNumber(event, ownNumber)) continue;
        if (!passesEventFilter(event, filter)) continue;
        if (event.kind === 'message') acknowledge(event);
        const msg = await toMsg(event);
        const output = event.kind === 'message' ? 0 : event.kind === 'status' ? 1 : 2;
        const outputs: Array<NodeMessage | null> = [null, null, null];
        outputs[output] = msg;
        node.send(outputs);
      }
    };

    const onGet = (req: IncomingMessage, res: ServerResponse) => {
      try {
        reply(res, 200, handleWebhookGet(queryOf(req), secrets().verifyToken ?? ''));
      } catch (error) {
        const status = (error as { status?: number }).status ?? 500;
        node.warn(`Webhook verification refused (${status}): ${toNodeRedError(error).message}`);
        reply(res, status, status === 403 ? 'Forbidden' : 'Error');
      }
    };

    const onPost = (req: RawBodyRequest, res: ServerResponse) => {
      const appSecret = secrets().appSecret;
      if (!appSecret) {
        // Fail closed: without the secret nothing can be verified, so nothing is accepted.
        node.status({ fill: 'red', shape: 'ring', text: 'app secret missing' });
        reply(res, 500, 'Webhook receiver has no app secret configured');
        return;
      }
      const shared = config.shared;
      if (!shared) {
        // Unusable Redis settings: accepting would record windows and duplicates nowhere.
        reply(res, 500, 'Webhook receiver has no usable shared store');
        return;
      }
      handleWebhookPost({
        rawBody: req.whatsappRawBody ?? Buffer.alloc(0),
        headers: req.headers,
        appSecret,
        deduplicator: shared.deduplicator,
        windowTracker: shared.windowTracker,
        // 131026 / opt-out / rating webhooks reach the guard the sends check.
        qualityGuard: shared.qualityGuard,
        // The events' dedupe keys stay "in flight" until they are handed to the flow: a crash in
        // between does not turn Meta's redelivery into a dropped duplicate (embedded store).
        acknowledgeLater: true,
        // node.send hands the msgs on within a turn or two: the keys and their acknowledgement then
        // share one commit, made once the flow has them (downloads answer first, so not then).
        commitWithAcknowledgement: !download,
        // Every status joins its send in the ledger (msgs then carry msg.whatsapp.send), emitted or not.
        ...(ledgerOn ? { ledger: shared.ledger } : {}),
        // "Re-send failed" on the config node: failed statuses that may pass wait for its resender.
        ...(ledgerOn && config.resender ? { resender: config.resender } : {}),
        // business_capability_update keeps the messaging limit's tier current for the send nodes.
        messagingLimit: shared.messagingLimit,
        // Dropped replays are still answered 200 below, so Meta stops redelivering them.
        maxEventAgeMs: dropReplays ? 'dedupe' : 0,
      }).then(
        ({ events, acknowledge, stale }) => {
          received += events.length;
          if (stale > 0) node.warn(`Dropped ${stale} replayed event${stale === 1 ? '' : 's'} older than the dedupe horizon (answered 200, nothing sent on)`);
          if (events.length) node.status({ fill: 'green', shape: 'dot', text: `${path}: ${received} event${received === 1 ? '' : 's'}` });
          const problem = shared.problem();
          if (problem && !storeProblemShown) {
            storeProblemShown = true;
            node.warn(`${problem.message}. ${problem.hint}`);
            node.status({ fill: 'yellow', shape: 'ring', text: 'state in memory: store file unusable (see log)' });
          }
          const answer = () =>
            acknowledge()
              .catch((error) => node.warn(`Could not record the webhook as handled: ${toNodeRedError(error).message}`))
              .then(() => reply(res, 200, 'OK'));
          if (download) {
            // Downloads take seconds and Meta wants its 200 sooner: answer first, then hand on.
            answer();
            emit(events).catch((error) => node.error(toNodeRedError(error)));
            return;
          }
          // node.send queues the delivery to the next nodes (setImmediate); the acknowledgement and
          // the 200 are queued right after it, so they happen once the flow has the events.
          emit(events).then(
            () => setImmediate(answer),
            (error) => {
              node.error(toNodeRedError(error));
              setImmediate(answer);
            },
          );
        },
        (error) => {
          const status = (error as { status?: number }).status ?? 500;
          // A Redis outage concerns every node of the config (the send side too); other refusals are this request's.
          if ((error as { code?: string }).code === 'shared_store_unavailable') config.report(error);
          if (status === 401) {
            badSignatures += 1;
            node.status({ fill: 'yellow', shape: 'ring', text: `bad signature (${badSignatures})` });
          } else {
            node.status({ fill: 'yellow', shape: 'ring', text: statusText(error) });
          }
          node.warn(`Webhook refused (${status}): ${toNodeRedError(error).message}`);
          reply(res, status, status === 401 ? 'Unauthorized' : status === 413 ? 'Payload Too Large' : status === 400 ? 'Bad Request' : 'Error');
        },
      );
    };

    const reader = rawBodyReader(() => {
      node.status({ fill: 'red', shape: 'ring', text: 'body already parsed' });
      node.error(
        'The webhook body was already read by httpNodeMiddleware (a body parser in settings.js), so its signature cannot be checked. ' +
          `Let requests to ${path} through that middleware untouched.`,
      );
    });
    const release = captureRawBodies(RED.httpNode, path);
    const middleware = userMiddleware(RED.settings);
    RED.httpNode.get(path, ...middleware, onGet);
    RED.httpNode.post(path, ...middleware, reader, onPost);

    // Outside Express's router nothing catches a throw: it would reach the server and end Node-RED.
    const safely = (res: ServerResponse, answer: () => void) => {
      try {
        answer();
      } catch (error) {
        node.error(toNodeRedError(error));
        if (!res.headersSent) reply(res, 500, 'Error');
      }
    };
    const off = fastPathOff(RED.server, RED.settings, path);
    const unroute = off
      ? undefined
      : routeOnServer(RED.server as Server, fullWebhookPath(RED.settings.httpNodeRoot as string, path), (req, res) =>
          safely(res, () => {
            if (req.method === 'GET') return onGet(req, res);
            readInto(req, res, MAX_WEBHOOK_BYTES, (error) => safely(res, () => (error ? reply(res, 400, 'Bad Request') : onPost(req, res))));
          }),
        );
    if (off) node.log(`Webhook ${path} is served through Express (${off}).`);

    // Optional: point the number's webhooks at this node (as the n8n trigger does), once the HTTP
    // server listens, since Meta checks the URL at once with a GET challenge.
    const registration = registrationOf(def.registration);
    let target: OverrideTarget | undefined;
    let registering: Promise<unknown> | undefined;
    if (registration === 'phoneNumberOverride' && config.client) {
      const graph = config.client.graph;
      const register = () => {
        registering = (async () => {
          const candidate = { ...ownNumber, callbackUrl: String(def.callbackUrl ?? '').trim(), verifyToken: secrets().verifyToken ?? '' };
          checkTarget(candidate);
          target = candidate;
          const result = await config.track(registerOverride(graph, candidate));
          if (result.subscribed) node.log(`Subscribed the app to WABA ${candidate.wabaId}'s webhooks.`);
          node.log(result.pointed ? `Phone number ${candidate.phoneNumberId} now sends its webhooks to ${candidate.callbackUrl}.` : `Phone number ${candidate.phoneNumberId} already sends its webhooks to ${candidate.callbackUrl}.`);
          node.status({ fill: 'green', shape: 'dot', text: `${path} (registered)` });
        })().catch((error) => {
          target = undefined;
          node.status({ fill: 'red', shape: 'ring', text: `not registered: ${statusText(error)}` });
          node.error(`The phone number override was not registered: ${toNodeRedError(error).message}`);
        });
      };
      const server = RED.server as Server | undefined;
      if (server && !server.listening && typeof server.once === 'function') server.once('listening', register);
      else register();
    }

    node.on('close', (removed, done) => {
      unroute?.();
      removeRoutes(RED.httpNode, path, ['get', 'post']);
      release();
      config.deregister(node);
      node.status({});
      // A redeploy or restart keeps the override (Meta holds webhooks meanwhile); deleting or
      // disabling the node clears it, only while it still points here.
      if (!removed || !target || !config.client) return done();
      const graph = config.client.graph;
      const owned = target;
      Promise.resolve(registering)
        .then(() => releaseOverride(graph, owned))
        .then((cleared) => cleared && node.log(`Cleared phone number ${owned.phoneNumberId}'s webhook override.`))
        .catch((error) => node.warn(`The phone number override was not cleared: ${toNodeRedError(error).message}`))
        .finally(() => done());
    });
  }

  RED.nodes.registerType('whatsapp-cloud-in', WhatsAppCloudInNode);
};
