import { randomBytes } from 'node:crypto';
import { storeUserId, type SharedRedisState, type SharedState, type SqliteDatabase } from '@wa-cloud/core';

/**
 * Send-and-wait bookkeeping shared by the action node (which sends the question and puts its
 * execution to wait) and the trigger (which hears the answer on the WhatsApp webhook and resumes
 * that execution). The answer's button id carries only an opaque token, `wa-wait:<token>:<choice>`;
 * the signed resume URL never leaves the n8n process. Kept on `globalThis` under a registered
 * symbol because the trigger and the action node are separate bundles.
 *
 * With the embedded store (the default), in its file (table `n8n_waiting`), so an answer after an
 * n8n restart still resumes the execution n8n kept waiting; with the Redis shared store, in Redis
 * under `<keyPrefix>n8n:wait:<token>` with the question's expiry, so that in queue mode the trigger
 * on a webhook process finds a question a worker asked. With "Memory Only" (or a store file that
 * fails) in this process: a restart forgets those, and they time out by the node's "Limit Wait Time".
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

/** Files whose table is made and whose forget hook is set: on `globalThis`, as every node file bundles this module. */
const prepared: WeakSet<SqliteDatabase> = ((globalThis as unknown as Record<symbol, WeakSet<SqliteDatabase> | undefined>)[Symbol.for('@wa-cloud/n8n-nodes-whatsapp-cloud/waiting-tables')] ??= new WeakSet());

/**
 * The table of questions in the embedded store's file, made on first use; User → Forget calls it
 * too, so a question asked before a restart is forgotten with its user.
 */
export function waitingTable(state: SharedState): SqliteDatabase {
  const db = state.database!;
  if (!prepared.has(db)) {
    db.exec('CREATE TABLE IF NOT EXISTS n8n_waiting (token TEXT PRIMARY KEY, recipient TEXT, question TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID');
    db.exec('CREATE INDEX IF NOT EXISTS n8n_waiting_recipient ON n8n_waiting (recipient)');
    // The rows' bytes are zeroed (the connection's secure_delete) and core checkpoints the log after
    // a forget whose hooks removed anything, so the number leaves both files.
    state.onForget((users) => {
      if (state.problem) return 0; // the file failed: nothing more can be removed from it
      const remove = db.prepare('DELETE FROM n8n_waiting WHERE recipient = ?');
      return db.transaction(() => users.reduce((n, user) => n + Number(remove.run(storeUserId(user)).changes), 0));
    });
    prepared.add(db);
  }
  return db;
}

/**
 * Registers a question in this process (any trigger here finds it, whatever its State Store) and in
 * the embedded store's file, durable before it returns (an answer after a restart finds it there).
 */
export async function registerStoredQuestion(state: SharedState, question: WaitingQuestion): Promise<string> {
  const db = waitingTable(state);
  const token = registerQuestion(question);
  db.transaction(() => {
    db.prepare('DELETE FROM n8n_waiting WHERE expires_at <= ?').run(Date.now());
    db.prepare('INSERT INTO n8n_waiting (token, recipient, question, expires_at) VALUES (?, ?, ?, ?)').run(token, question.recipient ?? null, JSON.stringify(question), question.expiresAt);
  });
  await db.committed();
  return token;
}

const tokenOf = (id: string) => /^wa-wait:([A-Za-z0-9_-]+):(\d+)$/.exec(id);

/**
 * Like {@link takeAnswer}, from the embedded store's file, but the row stays until
 * {@link forgetStoredQuestion}: removed only once the execution resumed, so a crash in between
 * leaves Meta's redelivery something to resume with.
 */
export function findStoredAnswer(
  state: SharedState,
  id: string,
  phoneNumberId: string | undefined,
  who?: Answerer,
): { question: WaitingQuestion; choice: { id: string; title: string }; index: number } | undefined {
  const match = tokenOf(id);
  if (!match) return undefined;
  const [, token, indexText] = match;
  const row = waitingTable(state).prepare('SELECT question FROM n8n_waiting WHERE token = ? AND expires_at > ?').get(token!, Date.now());
  if (!row) return undefined;
  const question = JSON.parse(String(row.question)) as WaitingQuestion;
  if (phoneNumberId && question.phoneNumberId !== phoneNumberId) return undefined;
  if (!askedUser(question, who)) return undefined;
  const choice = question.choices[Number(indexText)];
  return choice ? { question, choice, index: Number(indexText) } : undefined;
}

/** Removes the answered question `id` names from the file, durably (its execution resumed). */
export async function forgetStoredQuestion(state: SharedState, id: string): Promise<void> {
  const token = tokenOf(id)?.[1];
  if (!token) return;
  const db = waitingTable(state);
  db.transaction(() => db.prepare('DELETE FROM n8n_waiting WHERE token = ?').run(token));
  await db.committed();
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
