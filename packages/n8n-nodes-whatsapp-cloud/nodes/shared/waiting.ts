import { randomBytes } from 'node:crypto';
import type { SharedRedisState } from '@wa-cloud/core';

/**
 * Send-and-wait bookkeeping shared by the action node (which sends the question and puts its
 * execution to wait) and the trigger (which hears the answer on the WhatsApp webhook and resumes
 * that execution). The answer's button id carries only an opaque token, `wa-wait:<token>:<choice>`;
 * the signed resume URL never leaves the n8n process. Kept on `globalThis` under a registered
 * symbol because the trigger and the action node are separate bundles.
 *
 * In memory for one process (regular mode); with the Redis shared store, in Redis under
 * `<keyPrefix>n8n:wait:<token>` with the question's expiry, so that in queue mode the trigger on a
 * webhook process finds a question a worker asked. A restart forgets in-memory questions; they
 * then time out according to the node's "Limit Wait Time".
 */
export interface WaitingQuestion {
  /** n8n's signed resume URL of the waiting execution. */
  resumeUrl: string;
  choices: Array<{ id: string; title: string }>;
  /** Business phone number ID the question went out from; answers to other numbers are ignored. */
  phoneNumberId: string;
  /**
   * Who was asked: phone number digits, or the BSUID. Only that user's answer resumes the
   * execution (a reply id another user sends is ignored and leaves the question open).
   */
  recipient?: string;
  /** ms since epoch after which the entry is forgotten. */
  expiresAt: number;
}

export const WAIT_PREFIX = 'wa-wait:';
const KEY = Symbol.for('@wa-cloud/n8n-nodes-whatsapp-cloud/waiting');
/** Longest we remember a question without a wait limit (Meta keeps the chat, users forget). */
export const MAX_WAIT_MS = 30 * 24 * 60 * 60 * 1000;

function registry(): Map<string, WaitingQuestion> {
  const holder = globalThis as unknown as Record<symbol, Map<string, WaitingQuestion> | undefined>;
  return (holder[KEY] ??= new Map());
}

function prune(now: number): void {
  for (const [token, entry] of registry()) if (entry.expiresAt <= now) registry().delete(token);
}

/** Who answered: the webhook message's sender (`from` digits and/or BSUID). */
export interface Answerer {
  from?: string;
  userId?: string;
}

/** True when `who` is the user the question went to (or the question names no one: older entries). */
function askedUser(question: WaitingQuestion, who: Answerer | undefined): boolean {
  if (!question.recipient) return true;
  if (!who) return false;
  const digits = (who.from ?? '').replace(/\D/g, '');
  return (digits !== '' && digits === question.recipient) || (who.userId !== undefined && who.userId === question.recipient);
}

/** Registers a question and returns its token. */
export function registerQuestion(question: WaitingQuestion): string {
  prune(Date.now());
  const token = randomBytes(12).toString('base64url');
  registry().set(token, question);
  return token;
}

const sharedKey = (state: SharedRedisState, token: string) => state.connection.key(`n8n:wait:${token}`);

/** Registers a question in the shared store (queue mode) and returns its token. */
export async function registerSharedQuestion(state: SharedRedisState, question: WaitingQuestion): Promise<string> {
  const token = randomBytes(12).toString('base64url');
  const ttl = Math.max(1000, Math.round(question.expiresAt - Date.now()));
  await state.connection.run('window', (client) => client.set(sharedKey(state, token), JSON.stringify(question), 'PX', ttl));
  return token;
}

/** Like {@link takeAnswer}, from the shared store: only the process whose DEL wins resumes. */
export async function takeSharedAnswer(
  state: SharedRedisState,
  id: string,
  phoneNumberId: string | undefined,
  who?: Answerer,
): Promise<{ question: WaitingQuestion; choice: { id: string; title: string }; index: number } | undefined> {
  const match = /^wa-wait:([A-Za-z0-9_-]+):(\d+)$/.exec(id);
  if (!match) return undefined;
  const [, token, indexText] = match;
  const key = sharedKey(state, token!);
  const raw = await state.connection.run('window', (client) => client.get(key));
  if (!raw) return undefined;
  let question: WaitingQuestion;
  try {
    question = JSON.parse(raw) as WaitingQuestion;
  } catch {
    return undefined;
  }
  if (phoneNumberId && question.phoneNumberId !== phoneNumberId) return undefined;
  if (!askedUser(question, who)) return undefined;
  const choice = question.choices[Number(indexText)];
  if (!choice) return undefined;
  const removed = await state.connection.run('window', (client) => client.del(key));
  if (removed !== 1) return undefined; // another process took it first
  return { question, choice, index: Number(indexText) };
}

/** The reply id for choice `index` of the question `token`. */
export function choiceId(token: string, index: number): string {
  return `${WAIT_PREFIX}${token}:${index}`;
}

/** True when `id` (a button reply id or a quick-reply payload) answers a send-and-wait question. */
export function isWaitAnswer(id: string | undefined): boolean {
  return typeof id === 'string' && id.startsWith(WAIT_PREFIX);
}

/**
 * Takes the question answered by reply id `id` out of the registry (an answer resumes once) and
 * returns it with the chosen option, or undefined when it is unknown here or expired.
 */
export function takeAnswer(id: string, phoneNumberId: string | undefined, who?: Answerer): { question: WaitingQuestion; choice: { id: string; title: string }; index: number } | undefined {
  const match = /^wa-wait:([A-Za-z0-9_-]+):(\d+)$/.exec(id);
  if (!match) return undefined;
  const [, token, indexText] = match;
  const question = registry().get(token!);
  if (!question || question.expiresAt <= Date.now()) return undefined;
  if (phoneNumberId && question.phoneNumberId !== phoneNumberId) return undefined;
  if (!askedUser(question, who)) return undefined;
  const index = Number(indexText);
  const choice = question.choices[index];
  if (!choice) return undefined;
  registry().delete(token!);
  return { question, choice, index };
}
