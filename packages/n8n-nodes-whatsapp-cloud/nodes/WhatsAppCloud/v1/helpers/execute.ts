import { createHash } from 'node:crypto';
import { slowedDown, type WhatsAppClient } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { createClient, errorJson, executionStore, getCredentials, toNodeError, type SendSettings } from '../../transport';
import { DeferredUploads } from './deferred-uploads';
import { readQualityOptions } from './options';

/**
 * Results of sends that went out, per execution, node and item, so that n8n's "Retry On Fail"
 * (which runs the whole node again) never sends an item twice: the second run returns the first
 * run's result for every item that already succeeded. Process-wide, on `globalThis` under a
 * registered symbol (the action bundle may be loaded more than once); entries expire after an hour.
 */
interface Ledger {
  entries: Map<string, { result: IDataObject; at: number }>;
}
const LEDGER_KEY = Symbol.for('@wa-cloud/n8n-nodes-whatsapp-cloud/sent-ledger');
const LEDGER_TTL_MS = 60 * 60 * 1000;

function ledger(): Ledger {
  const holder = globalThis as unknown as Record<symbol, Ledger | undefined>;
  return (holder[LEDGER_KEY] ??= { entries: new Map() });
}

function remember(key: string, result: IDataObject): void {
  const { entries } = ledger();
  const now = Date.now();
  for (const [k, v] of entries) {
    if (now - v.at < LEDGER_TTL_MS) break; // insertion order: the rest are newer
    entries.delete(k);
  }
  entries.set(key, { result, at: now });
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value) ?? '').digest('base64url');
}

/** One log line per execution and node when the number is slowed down (n8n's log, not per item). */
const warned = new WeakSet<object>();
function warnSlowedDown(ctx: IExecuteFunctions, summary: string): void {
  const node = ctx.getNode();
  if (warned.has(node)) return;
  warned.add(node);
  ctx.logger?.warn(`WhatsApp Cloud "${node.name}": sending at ${summary}; the rate climbs back once Meta stops throttling`);
}

export type ItemTask = (client: WhatsAppClient, itemIndex: number) => Promise<IDataObject | INodeExecutionData>;

export interface RunOptions {
  /**
   * `concurrent` (sends): every item is handed to the client at once and the shared limiter paces
   * them; `sequential` (management calls, which the limiter does not pace): one after another.
   */
  mode: 'concurrent' | 'sequential';
  settings?: SendSettings;
}

function asItem(value: IDataObject | INodeExecutionData, itemIndex: number): INodeExecutionData {
  const item = 'json' in value && typeof value.json === 'object' && value.json !== null ? (value as INodeExecutionData) : { json: value as IDataObject };
  return { ...item, pairedItem: { item: itemIndex } };
}

/**
 * Runs `task` for every input item and returns one output item per input item, in input order,
 * with `pairedItem`. A failed item never stops the others: with `continueOnFail()` its output is
 * `{ error: { message, code, category, hint, … } }`; otherwise, once every item has settled, the
 * first failure (in input order) is thrown as a NodeApiError/NodeOperationError with the hint.
 */
export async function runForEachItem(ctx: IExecuteFunctions, task: ItemTask, options: RunOptions): Promise<INodeExecutionData[]> {
  const items = ctx.getInputData();
  let client: WhatsAppClient;
  try {
    client = createClient(await getCredentials(ctx), { quality: readQualityOptions(ctx), ...options.settings }, await executionStore(ctx));
  } catch (error) {
    throw toNodeError(ctx.getNode(), error);
  }
  try {
    let settled: Array<PromiseSettledResult<IDataObject | INodeExecutionData>>;
    if (options.mode === 'concurrent') {
      settled = await Promise.allSettled(items.map(async (_item, i) => await task(client, i)));
    } else {
      settled = [];
      for (let i = 0; i < items.length; i++) {
        try {
          settled.push({ status: 'fulfilled', value: await task(client, i) });
        } catch (reason) {
          settled.push({ status: 'rejected', reason });
        }
      }
    }
    const out: INodeExecutionData[] = [];
    for (let i = 0; i < settled.length; i++) {
      const result = settled[i]!;
      if (result.status === 'fulfilled') {
        out.push(asItem(result.value, i));
      } else if (ctx.continueOnFail()) {
        out.push({ json: { error: errorJson(result.reason) }, pairedItem: { item: i } });
      } else {
        throw toNodeError(ctx.getNode(), result.reason, i);
      }
    }
    return out;
  } finally {
    await client.close();
  }
}

/**
 * Sends one message per item (built by `build`, in Graph shape or from a core builder) through the
 * shared limiter. Items already sent by an earlier try of this node in the same execution are not
 * sent again. `build` (which may read, e.g. a template, but never write) has no side effect: binary files go through `uploads` and are uploaded only
 * after that check, so a retry neither uploads again nor (with a new media ID) sends again.
 */
export async function sendEach(
  ctx: IExecuteFunctions,
  build: (itemIndex: number, client: WhatsAppClient, uploads: DeferredUploads) => unknown | Promise<unknown>,
  settings: SendSettings,
): Promise<INodeExecutionData[]> {
  const base = `${ctx.getExecutionId() ?? 'manual'}|${ctx.getNode().id}`;
  return await runForEachItem(
    ctx,
    async (client, i) => {
      const uploads = new DeferredUploads();
      const built = await build(i, client, uploads);
      const key = `${base}|${i}|${digest(built)}`;
      const earlier = ledger().entries.get(key);
      if (earlier) return { ...earlier.result, alreadySent: true };
      const message = await uploads.resolve(built, client);
      const sent = await client.send(message);
      const result: IDataObject = {
        messageId: sent.messageId,
        to: sent.to,
        ...(sent.waId !== undefined ? { waId: sent.waId } : {}),
        ...(sent.messageStatus !== undefined ? { messageStatus: sent.messageStatus } : {}),
        ...(sent.via ? { via: sent.via } : {}),
        attempts: sent.attempts,
        ...(sent.fallback ? { fallback: { ...sent.fallback } } : {}),
        ...(sent.reference !== undefined ? { reference: sent.reference } : {}),
        ...(sent.ledgerError ? { ledgerError: sent.ledgerError } : {}),
      };
      remember(key, result);
      // Only while the number sends below its configured rate (Meta's 130429, the quality rating):
      // the effective rate then, so a workflow can see or log it. Not remembered: it is of this moment.
      const pacing = slowedDown(client.pacing());
      if (pacing) {
        warnSlowedDown(ctx, pacing.summary);
        return { ...result, pacing: { ...pacing } };
      }
      return result;
    },
    { mode: 'concurrent', settings },
  );
}
