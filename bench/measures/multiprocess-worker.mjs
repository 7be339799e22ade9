// One of the processes of measure 2: a core client with the Redis limiter. Prepares on request,
// sends its share on "go", reports what its client saw.
import { core, eventLoopLag, serveParent } from '../lib/common.mjs';

const { WhatsAppClient } = core();
let client;
const lag = eventLoopLag();

serveParent({
  async prepare({ sandbox, redisUrl, keyPrefix, cap }) {
    client = new WhatsAppClient({
      accessToken: sandbox.accessToken,
      phoneNumberId: sandbox.phoneNumberId,
      baseUrl: sandbox.url,
      throughput: cap,
      redis: { url: redisUrl, keyPrefix },
    });
    // Connect to Redis and warm the HTTP pool before the start line (a read-only call).
    await client.windowStatus('+15550000000');
    return {};
  },
  async go({ offset, count }) {
    lag.reset();
    const t0 = performance.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: count }, (_, i) =>
        client.sendTemplate(`+1555${offset + i}`, 'order_update', 'en', [
          { type: 'body', parameters: [{ type: 'text', text: `User ${i}` }, { type: 'text', text: `B-${i}` }] },
        ]),
      ),
    );
    const wallMs = performance.now() - t0;
    await client.close();
    const failed = outcomes.filter((o) => o.status === 'rejected');
    return { wallMs, lag: lag.read(), failed: failed.length, firstError: failed[0]?.reason?.message ?? null, retried: outcomes.filter((o) => o.status === 'fulfilled' && o.value.attempts > 1).length };
  },
});
process.send({ type: 'ready' });
