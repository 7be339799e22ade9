// A process that uses the delivery ledger of the built core on the embedded store in argv[3], for
// the SIGKILL test. `write`: records 200 sends and statuses for them, prints "recorded" and waits
// to be killed. `read`: prints every record it finds, as JSON, and exits.
const { sharedState } = require('../../dist');

const [mode, folder] = process.argv.slice(2);
const state = sharedState({ kind: 'embedded', folder });
if (state.problem) throw state.problem;
const ledger = state.ledger;

async function write() {
  const now = Date.now();
  for (let i = 0; i < 200; i++) {
    await ledger.recordSend({ messageId: `wamid.kill-${i}`, phoneNumberId: '106540352242922', recipient: `+1555000${String(i).padStart(4, '0')}`, type: 'template', template: { name: 'order_update', language: 'en' }, reference: `order-${i}`, attempts: 1, sentAt: new Date(now) });
  }
  const status = (i, value) => ({ kind: 'status', field: 'messages', wabaId: 'W', phoneNumberId: '106540352242922', messageId: `wamid.kill-${i}`, status: value, recipientId: `1555000${String(i).padStart(4, '0')}`, timestamp: new Date(now + 1000), errors: [], raw: {} });
  for (let i = 0; i < 200; i += 2) await ledger.recordStatus(status(i, 'read'));
  process.stdout.write('recorded\n');
  setInterval(() => undefined, 1000);
}

async function read() {
  const records = await ledger.find({}, 1000);
  process.stdout.write(JSON.stringify(records.map((r) => ({ id: r.messageId, status: r.status, reference: r.reference }))) + '\n');
  process.exit(0);
}

(mode === 'write' ? write() : read()).catch((error) => {
  process.stderr.write(String(error && error.stack));
  process.exit(1);
});
