/**
 * Flow endpoint requests waiting for their answer: the `whatsapp-cloud-flow` node parks the HTTP
 * response and the cipher session here under an id it puts on the msg; the
 * `whatsapp-cloud-flow-response` node answers with it, like Node-RED's http in / http response pair
 * (which parks `msg.res`). Neither the AES key nor the response object ever travels on the msg, so
 * a debug node or a persisted context never shows them. One map per runtime (both nodes load this
 * module once).
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FlowCipherSession, InboundFlowRequest } from './core';

export interface PendingFlowRequest {
  request: InboundFlowRequest;
  session: FlowCipherSession;
  res: ServerResponse;
  timer: NodeJS.Timeout;
  /** Id of the flow node that received it (its close answers what it still holds). */
  owner: string;
  /** Reports a request nobody answered in time. */
  onTimeout(): void;
}

const pending = new Map<string, PendingFlowRequest>();

/** WhatsApp gives an endpoint 10 seconds; after that the phone shows an error, so answer 504. */
export const FLOW_ANSWER_TIMEOUT_MS = 10_000;

export function park(entry: Omit<PendingFlowRequest, 'timer'>, timeoutMs = FLOW_ANSWER_TIMEOUT_MS): string {
  const id = randomUUID();
  const timer = setTimeout(() => {
    const waiting = pending.get(id);
    if (!waiting) return;
    pending.delete(id);
    if (!waiting.res.headersSent) {
      waiting.res.writeHead(504, { 'Content-Type': 'text/plain; charset=utf-8' });
      waiting.res.end('No answer from the flow');
    }
    waiting.onTimeout();
  }, timeoutMs);
  timer.unref();
  pending.set(id, { ...entry, timer });
  return id;
}

/** Takes (and forgets) the request with this id: each is answered once. */
export function take(id: unknown): PendingFlowRequest | undefined {
  if (typeof id !== 'string') return undefined;
  const entry = pending.get(id);
  if (!entry) return undefined;
  pending.delete(id);
  clearTimeout(entry.timer);
  return entry;
}

/** Answers 503 to every request a closing node still holds (a redeploy must not leave sockets hanging). */
export function dropAll(owner: string): void {
  for (const [id, entry] of pending) {
    if (entry.owner !== owner) continue;
    pending.delete(id);
    clearTimeout(entry.timer);
    if (!entry.res.headersSent) {
      entry.res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
      entry.res.end('Flow endpoint restarting');
    }
  }
}
