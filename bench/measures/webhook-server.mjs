// A webhook receiver in its own process. argv[2]: 'bare' (reads the body, answers 200: the
// floor any receiver pays) or 'core' (the core inbound call: size check, HMAC of the raw bytes,
// parse every item, dedupe, window bookkeeping, then 200), or 'state-memory' / 'state-embedded'
// (what the Node-RED in-node does: core's sharedState of that kind, window + quality updates, the
// keys and their acknowledgement committed together before the 200; embedded in a fresh folder
// argv[3], on the driver this Node has), or 'state-embedded-two-commits' (what the n8n trigger
// does, whose hand-off waits for n8n: the keys committed in flight, then their acknowledgement),
// or the floors of a store that writes a webhook before its 200, each the memory state plus
// SQLite writes on this Node's driver, committed in groups as the embedded store's are and awaited
// before the 200: 'floor-journal' (one row a POST, appended: its new events' keys and users) and
// 'floor-keyed' (one row an event in a table keyed by its dedupe key, as the embedded store's
// seen-event table is, with nothing else: no window or quality rows, no in-flight mark).
import * as http from 'node:http';
import { core, serveParent } from '../lib/common.mjs';
import { APP_SECRET } from '../lib/webhook-payloads.mjs';

const mode = process.argv[2];
let requests = 0;
let events = 0;
let rejected = 0;
let handler;

/** The core inbound call with a `sharedState`'s deduplicator, window tracker and quality guard. */
function ingestWithState(state, rawBody, headers, options = {}) {
  const { handleWebhookPost } = core();
  return handleWebhookPost({ rawBody, headers, appSecret: APP_SECRET, deduplicator: state.deduplicator, windowTracker: state.windowTracker, qualityGuard: state.qualityGuard, ...options });
}

/**
 * A handler that reads the body, counts the POST, and answers 200 once `ingest(rawBody, headers)`
 * resolves with the number of events it handled (401 for a bad signature, 400 for other errors).
 */
function receiver(ingest) {
  const { isWhatsAppError } = core();
  return (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      requests++;
      try {
        const handled = await ingest(Buffer.concat(chunks), req.headers);
        events += handled; // after the await: `events += await …` would read events before it
        res.writeHead(200).end();
      } catch (e) {
        rejected++;
        res.writeHead(isWhatsAppError(e) && e.code === 'webhook_signature_invalid' ? 401 : 400).end();
      }
    });
  };
}

if (mode === 'bare') {
  handler = (req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      requests++;
      res.writeHead(200).end();
    });
  };
} else if (mode === 'core') {
  const { handleWebhookPost, EventDeduplicator, MemoryDedupeStore, WindowTracker } = core();
  const deduplicator = new EventDeduplicator(new MemoryDedupeStore());
  const windowTracker = new WindowTracker();
  handler = receiver(async (rawBody, headers) => (await handleWebhookPost({ rawBody, headers, appSecret: APP_SECRET, deduplicator, windowTracker })).events.length);
} else if (mode === 'state-memory' || mode.startsWith('state-embedded')) {
  const { sharedState } = core();
  const kind = mode === 'state-memory' ? 'memory' : 'embedded';
  const state = sharedState(kind === 'memory' ? { kind } : { kind, folder: process.argv[3] });
  if (state.kind !== kind) throw new Error(`state store: ${state.problem?.message}`);
  const oneCommit = mode !== 'state-embedded-two-commits';
  handler = receiver(async (rawBody, headers) => {
    const result = await ingestWithState(state, rawBody, headers, { acknowledgeLater: true, commitWithAcknowledgement: oneCommit });
    await result.acknowledge();
    return result.events.length;
  });
} else if (mode === 'floor-journal' || mode === 'floor-keyed') {
  const { sharedState, openSqlite, dedupeKey } = core();
  const state = sharedState({ kind: 'memory' });
  const db = openSqlite(`${process.argv[3]}/floor.sqlite`);
  db.exec('CREATE TABLE journal (id INTEGER PRIMARY KEY, events TEXT NOT NULL)');
  db.exec('CREATE TABLE keyed (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, users TEXT) WITHOUT ROWID');
  const append = db.prepare('INSERT INTO journal (events) VALUES (?)');
  const insertKey = db.prepare('INSERT INTO keyed (key, expires_at, users) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING');
  const write =
    mode === 'floor-journal'
      ? (events) => append.run(JSON.stringify(events.map((e) => [dedupeKey(e), e.from ?? e.recipientId ?? null])))
      : (events) => {
          const expiresAt = Date.now() + 7 * 24 * 3600 * 1000;
          for (const e of events) insertKey.run(dedupeKey(e), expiresAt, e.from ?? e.recipientId ?? null);
        };
  handler = receiver(async (rawBody, headers) => {
    const result = await ingestWithState(state, rawBody, headers);
    db.joinGroup(); // the group commit of this event-loop turn
    write(result.events);
    await db.committed();
    return result.events.length;
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}

const server = http.createServer(handler);
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', url: `http://127.0.0.1:${server.address().port}/whatsapp` }));
serveParent({ counts: () => ({ requests, events, rejected }) });
