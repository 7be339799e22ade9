/**
 * `whatsapp-cloud-in`: the webhook Meta calls. Like Node-RED's http in node it adds routes to
 * `RED.httpNode` (and removes them on close: Node-RED keeps routes across redeploys), but with its
 * own raw-body reader, because the signature covers the exact bytes. Core does the rest: verify,
 * parse every item, drop redeliveries, record the 24-hour window. One msg per event, on three
 * outputs: messages, statuses, everything else.
 */
import {
  downloadMedia,
  handleWebhookGet,
  handleWebhookPost,
  type InboundEvent,
  type InboundMessageEvent,
} from '../lib/core';
import { statusText, toNodeRedError } from '../lib/errors';
import { captureRawBodies, rawBodyReader, type RawBodyRequest } from '../lib/raw-body';
import type { ExpressApp, Node, NodeAPI, NodeDef, NodeMessage, Request, Response } from '../lib/node-red';
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

function queryOf(req: Request): Record<string, string> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  return Object.fromEntries(url.searchParams);
}

/** Who to answer: the WhatsApp id, or the business-scoped user id for username-only users. */
function sender(event: InboundMessageEvent): string | undefined {
  return event.from || event.userId || undefined;
}

export = function register(RED: NodeAPI): void {
  function WhatsAppCloudInNode(this: InNode, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    node.name = def.name as string | undefined;
    const path = routePath(def.path);
    const markRead: MarkRead = def.markRead === 'read' || def.markRead === 'typing' ? def.markRead : 'off';
    const download = def.downloadMedia === true;
    node.config = RED.nodes.getNode(def.config as string) as ConfigNode | undefined;
    const config = node.config;
    let badSignatures = 0;
    let received = 0;

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
            downloadMedia(config.client.graph, event.media.id, { url: event.media.url, phoneNumberId: event.phoneNumberId }),
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

    const acknowledge = (event: InboundMessageEvent) => {
      if (markRead === 'off' || !config.client || !event.messageId) return;
      config
        .track(config.client.markAsRead(event.messageId, { typing: markRead === 'typing' }))
        .catch((error) => node.warn(`Mark as read failed: ${toNodeRedError(error).message}`));
    };

    const emit = async (events: InboundEvent[]) => {
      for (const event of events) {
        if (event.kind === 'message') acknowledge(event);
        const msg = await toMsg(event);
        const output = event.kind === 'message' ? 0 : event.kind === 'status' ? 1 : 2;
        const outputs: Array<NodeMessage | null> = [null, null, null];
        outputs[output] = msg;
        node.send(outputs);
      }
    };

    const onGet = (req: Request, res: Response) => {
      try {
        const challenge = handleWebhookGet(queryOf(req), secrets().verifyToken ?? '');
        res.status(200).type('text/plain').send(challenge);
      } catch (error) {
        const status = (error as { status?: number }).status ?? 500;
        node.warn(`Webhook verification refused (${status}): ${toNodeRedError(error).message}`);
        res.status(status).type('text/plain').send(status === 403 ? 'Forbidden' : 'Error');
      }
    };

    const onPost = (req: Request, res: Response) => {
      const appSecret = secrets().appSecret;
      if (!appSecret) {
        // Fail closed: without the secret nothing can be verified, so nothing is accepted.
        node.status({ fill: 'red', shape: 'ring', text: 'app secret missing' });
        res.status(500).type('text/plain').send('Webhook receiver has no app secret configured');
        return;
      }
      const shared = config.shared;
      if (!shared) {
        // Unusable Redis settings: accepting would record windows and duplicates nowhere.
        res.status(500).type('text/plain').send('Webhook receiver has no usable shared store');
        return;
      }
      handleWebhookPost({
        rawBody: (req as RawBodyRequest).whatsappRawBody ?? Buffer.alloc(0),
        headers: req.headers,
        appSecret,
        deduplicator: shared.deduplicator,
        windowTracker: shared.windowTracker,
        // 131026 / opt-out / rating webhooks reach the guard the sends check.
        qualityGuard: shared.qualityGuard,
      }).then(
        ({ events }) => {
          res.status(200).type('text/plain').send('OK');
          received += events.length;
          if (events.length) node.status({ fill: 'green', shape: 'dot', text: `${path}: ${received} event${received === 1 ? '' : 's'}` });
          emit(events).catch((error) => node.error(toNodeRedError(error)));
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
          res.status(status).type('text/plain').send(status === 401 ? 'Unauthorized' : status === 413 ? 'Payload Too Large' : status === 400 ? 'Bad Request' : 'Error');
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
    RED.httpNode.get(path, onGet);
    RED.httpNode.post(path, reader, onPost);

    node.on('close', (_removed, done) => {
      removeRoutes(RED.httpNode, path, ['get', 'post']);
      release();
      config.deregister(node);
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('whatsapp-cloud-in', WhatsAppCloudInNode);
};
