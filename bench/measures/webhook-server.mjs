// A webhook receiver in its own process. argv[2]: 'bare' (reads the body, answers 200: the
// floor any receiver pays) or 'core' (the core inbound call: size check, HMAC of the raw bytes,
// parse every item, dedupe, window bookkeeping, then 200), or 'state-memory' / 'state-embedded'
// (what the Node-RED in-node does: core's sharedState of that kind, window + quality updates, the
// keys and their acknowledgement committed together before the 200; embedded in a fresh folder
// argv[3], on the driver this Node has), or 'state-embedded-two-commits' (what the n8n trigger
// does, whose hand-off waits for n8n: the keys committed in flight, then their acknowledgement).
import * as http from 'node:http';
import { core, serveParent } from '../lib/common.mjs';
import { APP_SECRET } from '../lib/webhook-payloads.mjs';

const mode = process.argv[2];
let requests = 0;
let events = 0;
let rejected = 0;
let handler;

if (mode === 'bare') {
  handler = (req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      requests++;
      res.writeHead(200).end();
    });
  };
} else if (mode === 'core') {
  const { handleWebhookPost, EventDeduplicator, MemoryDedupeStore, WindowTracker, isWhatsAppError } = core();
  const deduplicator = new EventDeduplicator(new MemoryDedupeStore());
  const windowTracker = new WindowTracker();
  handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      requests++;
      try {
        const result = await handleWebhookPost({ rawBody: Buffer.concat(chunks), headers: req.headers, appSecret: APP_SECRET, deduplicator, windowTracker });
        events += result.events.length;
        res.writeHead(200).end();
      } catch (e) {
        rejected++;
        res.writeHead(isWhatsAppError(e) && e.code === 'webhook_signature_invalid' ? 401 : 400).end();
      }
    });
  };
} else if (mode === 'state-memory' || mode.startsWith('state-embedded')) {
  const { handleWebhookPost, sharedState, isWhatsAppError } = core();
  const kind = mode === 'state-memory' ? 'memory' : 'embedded';
  const state = sharedState(kind === 'memory' ? { kind } : { kind, folder: process.argv[3] });
  if (state.kind !== kind) throw new Error(`state store: ${state.problem?.message}`);
  const oneCommit = mode !== 'state-embedded-two-commits';
  handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      requests++;
      try {
        const result = await handleWebhookPost({
          rawBody: Buffer.concat(chunks),
          headers: req.headers,
          appSecret: APP_SECRET,
          deduplicator: state.deduplicator,
          windowTracker: state.windowTracker,
          qualityGuard: state.qualityGuard,
          acknowledgeLater: true,
          commitWithAcknowledgement: oneCommit,
        });
        events += result.events.length;
        await result.acknowledge();
        res.writeHead(200).end();
      } catch (e) {
        rejected++;
        res.writeHead(isWhatsAppError(e) && e.code === 'webhook_signature_invalid' ? 401 : 400).end();
      }
    });
  };
} else {
  throw new Error(`unknown mode ${mode}`);
}

const server = http.createServer(handler);
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', url: `http://127.0.0.1:${server.address().port}/whatsapp` }));
serveParent({ counts: () => ({ requests, events, rejected }) });
