/**
 * A minimal n8n execute context for running the action node's operations (through its router)
 * against the sandbox in a unit test: node parameters as n8n resolves them (dotted paths, resource
 * locators with `extractValue`), input items with binary data, a fixed execution ID (so a second
 * run is what n8n's "Retry On Fail" does), and the credential pointing at the sandbox.
 */
import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import type { Sandbox } from '../../../sandbox/src';
import { router } from '../../nodes/WhatsAppCloud/v1/actions/router';

export interface InputItem {
  json?: IDataObject;
  /** Binary properties: the bytes, type and name. */
  binary?: Record<string, { data: Buffer; mimeType: string; fileName?: string }>;
}

export interface ContextOptions {
  /** Parameters of the node; a function gets the item index (expressions that differ per item). */
  params: IDataObject | ((itemIndex: number) => IDataObject);
  items?: InputItem[];
  continueOnFail?: boolean;
  /** The execution's ID: keep it the same across runs to play n8n's Retry On Fail. */
  executionId?: string;
  /** Credential fields over the sandbox's (e.g. `apiVersion`). */
  credentials?: IDataObject;
  nodeId?: string;
}

let executions = 0;
/** What the node logged (errors and warnings), for tests that check it. */
export const logs: string[] = [];

/** A fresh execution ID (each test its own, so the sent-ledger of one never answers another). */
export function newExecutionId(): string {
  return `exec-${process.pid}-${++executions}`;
}

function lookup(params: IDataObject, name: string): unknown {
  let value: unknown = params;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || !(part in (value as IDataObject))) return undefined;
    value = (value as IDataObject)[part];
  }
  return value;
}

export function executeContext(sandbox: Sandbox, options: ContextOptions): IExecuteFunctions {
  const node = { id: options.nodeId ?? 'node-1', name: 'WhatsApp Cloud', type: 'whatsAppCloud', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} };
  const credentials = { accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, wabaId: sandbox.wabaId, baseUrl: sandbox.url, ...options.credentials };
  const executionId = options.executionId ?? newExecutionId();
  const items = options.items ?? [{}];
  const paramsOf = (i: number) => (typeof options.params === 'function' ? options.params(i) : options.params);
  const binaryOf = (i: number, property: string) => items[i]?.binary?.[property];
  const inputData: INodeExecutionData[] = items.map((item) => ({
    json: item.json ?? {},
    ...(item.binary
      ? {
          binary: Object.fromEntries(
            Object.entries(item.binary).map(([k, b]): [string, IBinaryData] => [k, { data: b.data.toString('base64'), mimeType: b.mimeType, ...(b.fileName ? { fileName: b.fileName } : {}) }]),
          ),
        }
      : {}),
  }));
  return {
    getInputData: () => inputData,
    getNodeParameter: (...args: [name: string, itemIndex: number, fallback?: unknown, opts?: { extractValue?: boolean }]) => {
      const [name, itemIndex, fallback, opts] = args;
      // State in this process's memory unless a test picks a store (no file in the home folder).
      let value = lookup({ sharedStore: 'memory', ...paramsOf(itemIndex) }, name);
      if (value === undefined) {
        if (args.length > 2) return fallback;
        throw new Error(`test context: no parameter "${name}"`);
      }
      if (opts?.extractValue && value && typeof value === 'object' && '__rl' in (value as IDataObject)) value = (value as IDataObject).value;
      return value;
    },
    getCredentials: async (type: string) => {
      if (type !== 'whatsAppCloudApi') throw new Error(`test context: no credential of type ${type}`);
      return credentials;
    },
    continueOnFail: () => options.continueOnFail ?? false,
    getNode: () => node,
    getExecutionId: () => executionId,
    logger: { error: (m: string) => logs.push(`error: ${m}`), warn: (m: string) => logs.push(`warn: ${m}`), info: () => undefined, debug: () => undefined },
    helpers: {
      assertBinaryData: (itemIndex: number, property: string) => {
        const binary = binaryOf(itemIndex, property);
        if (!binary) throw new Error(`item ${itemIndex} has no binary field "${property}"`);
        return { data: '', mimeType: binary.mimeType, ...(binary.fileName ? { fileName: binary.fileName } : {}) };
      },
      getBinaryDataBuffer: async (itemIndex: number, property: string) => binaryOf(itemIndex, property)!.data,
      prepareBinaryData: async (data: Buffer, fileName?: string, mimeType?: string) => ({ data: data.toString('base64'), fileName, mimeType: mimeType ?? 'application/octet-stream', fileSize: String(data.byteLength) }),
    },
  } as unknown as IExecuteFunctions;
}

/** Runs the node once (all items) and returns its first output. */
export async function runNode(sandbox: Sandbox, options: ContextOptions): Promise<INodeExecutionData[]> {
  const [out] = await router.call(executeContext(sandbox, options));
  return out!;
}

/** The sandbox requests made while `fn` ran. */
export async function requestsDuring<T>(sandbox: Sandbox, fn: () => Promise<T>): Promise<{ result: T; requests: Sandbox['requests'] }> {
  const start = sandbox.requests.length;
  const result = await fn();
  return { result, requests: sandbox.requests.slice(start) };
}

/** The message sends (POST …/<phone>/messages) among `requests`. */
export function sendsIn(sandbox: Sandbox, requests: Sandbox['requests']): Sandbox['requests'] {
  return requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/${sandbox.phoneNumberId}/messages`));
}
