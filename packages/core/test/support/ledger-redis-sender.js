// The sending process of the two-process ledger test (ledger-sandbox.test.ts): sends the planned
// messages to the sandbox through the built core, its ledger on Redis (the shared state the
// adapters use), prints "sent <count>" and exits. The test process receives the statuses.
const { WhatsAppClient, sharedState, closeSharedStates } = require('../../dist');

const job = JSON.parse(process.argv[2]);
(async () => {
  const state = sharedState({ kind: 'redis', redis: { url: job.redisUrl, keyPrefix: job.prefix } });
  if (state.problem) throw state.problem;
  // Connected before the first send: on a loaded machine a new process may need more than the
  // 2 s connect timeout, and the test is about the ledger, not about the first connection.
  for (const deadline = Date.now() + 30_000; ; ) {
    try {
      await state.ledger.count();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const client = new WhatsAppClient({
    accessToken: job.accessToken,
    phoneNumberId: job.phoneNumberId,
    baseUrl: job.baseUrl,
    throughput: 2000,
    window: { policy: 'off' },
    quality: { enabled: false },
    ledger: state.ledger,
  });
  const results = await Promise.all(
    job.sends.map((send) =>
      send.kind === 'utility' || send.kind === 'marketing'
        ? client.sendTemplate(send.to, send.kind === 'utility' ? 'shipping_update' : 'winter_promo', 'en', [], { reference: send.reference })
        : client.send({ to: send.to, type: 'text', text: { body: 'About your order' }, biz_opaque_callback_data: send.reference }),
    ),
  );
  await client.close();
  await closeSharedStates();
  const failed = results.filter((r) => !r.messageId || r.ledgerError);
  if (failed.length > 0) throw new Error(`${failed.length} sends without a message ID or with a ledger error: ${JSON.stringify(failed[0])}`);
  process.stdout.write(`sent ${results.length}\n`);
})().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
