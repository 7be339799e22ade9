// The sandbox (the far side) in a process of its own, for tests that judge timing at the far side:
// it stamps each request's arrival, and in the jest process a GC pause or a busy turn delays
// those stamps and bunches evenly spaced requests into a false 130429 under the sliding reading.
// Options come as JSON in argv[2]; the parent asks over IPC for what it received.
const { startSandbox } = require('../../../sandbox/dist');

startSandbox(JSON.parse(process.argv[2] || '{}')).then((sandbox) => {
  process.on('message', async (message) => {
    if (message.type === 'received') {
      process.send({
        type: 'received',
        requests: sandbox.requests.map((r) => ({ method: r.method, path: r.path, at: r.at, errorCode: r.errorCode ?? null, to: r.body && r.body.to })),
        messages: sandbox.messages.map((m) => m.to),
      });
    } else if (message.type === 'close') {
      await sandbox.close();
      process.exit(0);
    }
  });
  process.send({ type: 'ready', url: sandbox.url, accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId });
});
