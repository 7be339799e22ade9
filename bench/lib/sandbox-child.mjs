// The sandbox (the far side) in its own process, so its CPU does not share an event loop with the
// code being measured. Options come as JSON in argv[2]; the parent asks for what it received.
import * as os from 'node:os';
import { eventLoopLag, sandboxPkg, serveParent } from './common.mjs';

// The far side measures arrival times: under its sliding reading, a stall of its own event loop
// turns requests that arrived evenly into a burst it then refuses. Ahead of the sender in the CPU
// queue it stalls less (this needs the right to raise priority; without it, it runs as it is).
try {
  os.setPriority(0, Math.max(-20, os.getPriority(0) - 10));
} catch {
  // not permitted: measured at the same priority as the sender
}

const options = JSON.parse(process.argv[2] ?? '{}');
const { startSandbox } = sandboxPkg();
const sb = await startSandbox({ statusDelaysMs: { sent: 20, delivered: null, read: null }, ...options });

// Its own event-loop lag from the mark on: a stalled far side is the machine, not the sender.
const lag = eventLoopLag();

const sendPath = (r) => r.method === 'POST' && /\/messages$/.test(r.path);

serveParent({
  /** Indices to slice from later. */
  mark: () => {
    lag.reset();
    return { requests: sb.requests.length, messages: sb.messages.length };
  },
  /** Send requests and accepted messages since a mark, reduced to what the measures need. */
  stats: ({ since = { requests: 0, messages: 0 } }) => ({
    requests: sb.requests
      .slice(since.requests)
      .filter(sendPath)
      .map((r) => ({ at: r.at, status: r.status, errorCode: r.errorCode ?? null, to: r.body?.to ?? null })),
    messages: sb.messages.slice(since.messages).map((m) => ({ to: m.to, at: m.acceptedAt, type: m.type })),
    lag: lag.read(),
  }),
  close: async () => {
    await sb.close();
    setImmediate(() => process.exit(0));
    return {};
  },
});

process.send({
  type: 'ready',
  url: sb.url,
  accessToken: sb.accessToken,
  phoneNumberId: sb.phoneNumberId,
  wabaId: sb.wabaId,
  appSecret: sb.appSecret,
  verifyToken: sb.verifyToken,
  displayPhoneNumber: sb.displayPhoneNumber,
});
