/**
 * The slice of Node-RED's runtime API these nodes use. Written here instead of depending on
 * `@types/node-red` (which drags in express and a pinned editor API): the runtime hands these
 * objects in, we only describe what we touch.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface NodeMessage {
  _msgid?: string;
  payload?: unknown;
  topic?: string;
  [key: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export type SendFn = (msg: NodeMessage | Array<NodeMessage | null> | null) => void;
export type DoneFn = (err?: Error) => void;

export interface Node<Creds extends object = Record<string, string>> {
  id: string;
  type: string;
  name?: string;
  z?: string;
  credentials: Partial<Creds>;
  on(event: 'input', handler: (msg: NodeMessage, send: SendFn, done: DoneFn) => void | Promise<void>): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | Array<NodeMessage | null> | null): void;
  status(status: NodeStatus | Record<string, never>): void;
  log(msg: unknown): void;
  warn(msg: unknown): void;
  error(err: unknown, msg?: NodeMessage): void;
}

/** Node properties as saved in flows.json (the `defaults` of the editor definition). */
export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
  [key: string]: unknown;
}

/** Express request as it reaches our routes (express 4 in Node-RED 4 and 5). */
export interface Request extends IncomingMessage {
  query: Record<string, unknown>;
  params: Record<string, string>;
  body?: unknown;
  /** Set by body-parser once it consumed the stream. */
  _body?: boolean;
}

export interface Response extends ServerResponse {
  status(code: number): Response;
  send(body?: unknown): Response;
  json(body: unknown): Response;
  type(type: string): Response;
  set(field: string, value: string): Response;
  sendStatus(code: number): Response;
}

export type Next = (err?: unknown) => void;
export type Handler = (req: Request, res: Response, next: Next) => void;

export interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

export interface ExpressApp {
  get(path: string, ...handlers: Handler[]): void;
  post(path: string, ...handlers: Handler[]): void;
  _router?: { stack: RouteLayer[] };
  router?: { stack: RouteLayer[] };
}

export interface NodeAPI {
  nodes: {
    createNode(node: object, def: NodeDef): void;
    registerType(type: string, constructor: Function, options?: { credentials?: Record<string, { type: 'text' | 'password' }>; settings?: object }): void;
    getNode(id: string): unknown;
    getCredentials(id: string): Record<string, string> | undefined;
  };
  httpNode: ExpressApp;
  httpAdmin: ExpressApp;
  /** Node-RED's HTTP(S) server (undefined in some test runtimes). */
  server?: unknown;
  auth: { needsPermission(permission: string): Handler };
  util: { evaluateNodeProperty(value: unknown, type: string, node: object, msg: NodeMessage): unknown };
  settings: Record<string, unknown>;
  log: { warn(msg: unknown): void; info(msg: unknown): void };
  _(key: string, substitutions?: Record<string, unknown>): string;
}
