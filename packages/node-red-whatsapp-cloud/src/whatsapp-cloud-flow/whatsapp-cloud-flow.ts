/**
 * `whatsapp-cloud-flow`: the data endpoint of a WhatsApp Flow. WhatsApp posts an encrypted request
 * each time a Flow screen needs data; core checks the signature (432), decrypts with the config
 * node's Flow private key (421 when it cannot: WhatsApp then refetches the public key), answers
 * `ping` health checks and client error notifications itself, and the rest goes out as one msg
 * whose answer a `whatsapp-cloud-flow-response` node gives (like http in / http response).
 * Served through Express (`RED.httpNode`): Flow traffic is one request per screen, not webhook
 * bursts, so the webhook node's fast path is not needed.
 */
import type { KeyObject } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { FlowEndpointError, handleFlowEndpointPost, loadFlowPrivateKey, MAX_FLOW_REQUEST_BYTES } from '../lib/core';
import { dropAll, park } from '../lib/flow-requests';
import { captureRawBodies, rawBodyReader, type RawBodyRequest } from '../lib/raw-body';
import type { ExpressApp, Handler, Node, NodeAPI, NodeDef, NodeMessage } from '../lib/node-red';
import type { ConfigNode } from '../lib/types';

interface FlowNode extends Node {
  config?: ConfigNode;
}

function routePath(value: unknown): string {
  const path = String(value ?? '').trim() || '/whatsapp-flow';
  return path.startsWith('/') ? path : `/${path}`;
}

/** Removes this node's route, as Node-RED's http in node does on close. */
function removeRoute(app: ExpressApp, path: string): void {
  const stack = (app._router ?? app.router)?.stack;
  if (!stack) return;
  for (let i = stack.length - 1; i >= 0; i--) {
    const route = stack[i]!.route;
    if (route && route.path === path && route.methods.post) stack.splice(i, 1);
  }
}

function userMiddleware(settings: Record<string, unknown>): Handler[] {
  const middleware = settings.httpNodeMiddleware;
  if (typeof middleware === 'function') return [middleware as Handler];
  return Array.isArray(middleware) ? (middleware as Handler[]) : [];
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}

export = function register(RED: NodeAPI): void {
  function WhatsAppCloudFlowNode(this: FlowNode, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    node.name = def.name as string | undefined;
    const path = routePath(def.path);
    node.config = RED.nodes.getNode(def.config as string) as ConfigNode | undefined;
    const config = node.config;
    let answered = 0;

    if (!config) {
      node.status({ fill: 'red', shape: 'ring', text: 'no config node' });
      node.warn('No WhatsApp Cloud config node selected: the Flow endpoint route is not registered.');
      return;
    }
    config.register(node);
    const secrets = config.credentials ?? {};
    // Loaded once: an encrypted PEM costs milliseconds to parse. The error names no key material.
    let privateKey: KeyObject | FlowEndpointError;
    try {
      privateKey = loadFlowPrivateKey(secrets.flowPrivateKey ?? '', secrets.flowPrivateKeyPassphrase || undefined);
    } catch (error) {
      privateKey = error as FlowEndpointError;
    }
    if (privateKey instanceof Error) {
      node.status({ fill: 'red', shape: 'ring', text: 'flow private key missing or unreadable' });
      node.warn(`${privateKey.message}. ${privateKey.hint}`);
    } else if (!secrets.appSecret) node.status({ fill: 'red', shape: 'ring', text: 'app secret missing' });
    else node.status({ fill: 'green', shape: 'dot', text: path });

    const onPost = (req: RawBodyRequest, res: ServerResponse) => {
      const result = handleFlowEndpointPost({
        rawBody: req.whatsappRawBody ?? Buffer.alloc(0),
        headers: req.headers,
        appSecret: secrets.appSecret,
        privateKey,
      });
      if (result.type === 'reply') {
        if (result.error) {
          node.status({ fill: result.status >= 500 ? 'red' : 'yellow', shape: 'ring', text: `refused ${result.status}` });
          node.warn(`Flow request refused (${result.status}): ${result.error.message}`);
        } else if (result.notification) {
          node.warn(`WhatsApp reported a Flow client error (flow token ${result.notification.flowToken ?? '?'}): ${[result.notification.error, result.notification.errorMessage].filter(Boolean).join(': ')}`);
        }
        reply(res, result.status, result.body);
        return;
      }
      const requestId = park({
        request: result.request,
        session: result.session,
        res,
        owner: node.id,
        onTimeout: () => {
          node.status({ fill: 'yellow', shape: 'ring', text: 'no answer in 10 s' });
          node.warn(`Flow request ${result.request.action}${result.request.screen ? ` (${result.request.screen})` : ''} got no whatsapp-cloud-flow-response within 10 seconds; answered 504.`);
        },
      });
      answered += 1;
      node.status({ fill: 'green', shape: 'dot', text: `${path}: ${answered} request${answered === 1 ? '' : 's'}` });
      const msg: NodeMessage = {
        topic: result.request.action,
        payload: result.request,
        flowToken: result.request.flowToken,
        flowRequestId: requestId,
      };
      node.send(msg);
    };

    const reader = rawBodyReader(() => {
      node.status({ fill: 'red', shape: 'ring', text: 'body already parsed' });
      node.error(`The Flow request body was already read by httpNodeMiddleware, so its signature cannot be checked. Let requests to ${path} through untouched.`);
    }, MAX_FLOW_REQUEST_BYTES);
    const release = captureRawBodies(RED.httpNode, path, MAX_FLOW_REQUEST_BYTES);
    RED.httpNode.post(path, ...userMiddleware(RED.settings), reader, onPost as unknown as Handler);

    node.on('close', (_removed, done) => {
      dropAll(node.id);
      removeRoute(RED.httpNode, path);
      release();
      config.deregister(node);
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('whatsapp-cloud-flow', WhatsAppCloudFlowNode);
};
