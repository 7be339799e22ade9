/**
 * The transport tells when a request's bytes left (TransportRequest.onWritten): the rate limiter
 * counts a send from then, as Meta counts it on arrival. A request queued behind a busy connection
 * is reported when it is really written, not when it was handed over.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UndiciTransport } from '../src';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function farSide(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => {
    s.closeAllConnections();
    return new Promise<void>((r) => s.close(() => r()));
  });
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('UndiciTransport onWritten', () => {
  test('is called once per request, before the far side reads it, for a JSON and a byte body', async () => {
    const arrivals: number[] = [];
    const url = await farSide((req, res) => {
      arrivals.push(performance.now());
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    const transport = new UndiciTransport();
    closers.push(() => transport.close());
    for (const body of ['{"a":1}', Buffer.from('bytes')]) {
      const written: number[] = [];
      const answer = await transport.request({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body, onWritten: () => written.push(performance.now()) });
      expect(answer.status).toBe(200);
      expect(written).toHaveLength(1);
      expect(written[0]!).toBeLessThanOrEqual(arrivals[arrivals.length - 1]!);
    }
  });

  test('a request waiting for the only connection is reported when it goes out, not when it was handed over', async () => {
    const arrivals: number[] = [];
    const url = await farSide((req, res) => {
      arrivals.push(performance.now());
      req.resume();
      // The first answer takes 150 ms: the second request waits for the connection until then.
      setTimeout(() => res.end('{}'), arrivals.length === 1 ? 150 : 0);
    });
    const transport = new UndiciTransport({ connections: 1 });
    closers.push(() => transport.close());
    const written: number[] = [];
    const handedOver = performance.now();
    await Promise.all(
      [0, 1].map((i) => transport.request({ method: 'POST', url, headers: {}, body: `{"i":${i}}`, onWritten: () => (written[i] = performance.now()) })),
    );
    expect(arrivals).toHaveLength(2);
    expect(written[1]! - handedOver).toBeGreaterThanOrEqual(140);
    expect(written[1]!).toBeLessThanOrEqual(arrivals[1]!);
  });
});
