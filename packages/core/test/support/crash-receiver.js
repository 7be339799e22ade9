// A webhook receiver as an adapter builds one, on the built core, for the crash tests: embedded
// store in argv[2]; every new event is handed to the "flow" on a later turn of the event loop (as
// Node-RED delivers messages), which appends it to the log argv[3]; then the keys are acknowledged
// and 200 goes out. Prints its port on stdout. CRASH_KIND=memory runs it on the memory store.
// CRASH_ONE_COMMIT=1 passes commitWithAcknowledgement (the Node-RED in-node's way).
const { appendFileSync } = require('node:fs');
const { createServer } = require('node:http');
const { handleWebhookPost, sharedState } = require('../../dist');

const [folder, log, secret] = process.argv.slice(2);
const state = sharedState({ kind: process.env.CRASH_KIND || 'embedded', folder });
if (state.problem) throw state.problem;

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const rawBody = Buffer.concat(chunks);
    handleWebhookPost({
      rawBody,
      headers: req.headers,
      appSecret: secret,
      deduplicator: state.deduplicator,
      windowTracker: state.windowTracker,
      qualityGuard: state.qualityGuard,
      acknowledgeLater: process.env.CRASH_NO_PENDING !== "1",
      // CRASH_ONE_COMMIT=1: keys and acknowledgement in one commit after the hand-off (Node-RED's way).
      commitWithAcknowledgement: process.env.CRASH_ONE_COMMIT === "1",
    }).then(
      ({ events, acknowledge }) => {
        // Node-RED queues the delivery to the next node (setImmediate) inside node.send; the
        // adapter queues its acknowledgement right after, so it runs once the flow has the event.
        setImmediate(() => {
          if (events.length) appendFileSync(log, events.map((e) => `${e.messageId}\n`).join(''));
        });
        setImmediate(async () => {
          await acknowledge();
          res.writeHead(200).end('OK');
        });
      },
      (error) => res.writeHead(error.status ?? 500).end(String(error.message)),
    );
  });
}).listen(0, '127.0.0.1', function () {
  process.stdout.write(`${this.address().port}\n`);
});
