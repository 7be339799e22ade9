import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readWebhookBody } from '../src';

/** A real server that reads each body with a limit of 1,000 bytes and records what it got. */
async function server() {
  const seen: Array<{ body?: string; error?: string }> = [];
  const srv = http.createServer((req, res) => {
    readWebhookBody(req, res, 1000).then(
      (body) => {
        if (!body) return seen.push({});
        seen.push({ body: body.toString('latin1') });
        res.end('OK');
      },
      (error: Error) => seen.push({ error: error.message }),
    );
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  return { seen, port, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

/** Sends a POST, writing `chunks` one by one (chunked unless `length` is given); resolves with the answer. */
function post(port: number, chunks: Buffer[], length?: number): Promise<{ status: number; text: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/w', headers: length === undefined ? {} : { 'content-length': length } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text, connection: res.headers.connection }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('readWebhookBody', () => {
  test('returns the exact bytes, across chunks and up to the limit', async () => {
    const s = await server();
    try {
      const bytes = Buffer.from([0xe2, 0x82, 0xac, 0x7b, 0x22, 0xff]); // a euro sign split below, and a byte that is not UTF-8
      const answer = await post(s.port, [bytes.subarray(0, 1), bytes.subarray(1), Buffer.alloc(994, 0x61)]);
      expect(answer).toMatchObject({ status: 200, text: 'OK' });
      expect(s.seen).toEqual([{ body: Buffer.concat([bytes, Buffer.alloc(994, 0x61)]).toString('latin1') }]);
    } finally {
      await s.close();
    }
  });

  test('a declared length over the limit is answered 413 before the body is read, and the client reads it', async () => {
    const s = await server();
    try {
      const answer = await post(s.port, [Buffer.alloc(1001, 0x61)], 1001);
      expect(answer).toEqual({ status: 413, text: 'Webhook body is larger than 1000 bytes', connection: 'close' });
      expect(s.seen).toEqual([{}]);
    } finally {
      await s.close();
    }
  });

  test('a streamed body that passes the limit is answered 413 and nothing is handed on', async () => {
    const s = await server();
    try {
      const answer = await post(s.port, [Buffer.alloc(600, 0x61), Buffer.alloc(600, 0x62)]);
      expect(answer.status).toBe(413);
      expect(s.seen).toEqual([{}]);
    } finally {
      await s.close();
    }
  });

  test('a request that breaks off rejects (nothing handed on) and the server keeps serving', async () => {
    const s = await server();
    try {
      await new Promise<void>((resolve) => {
        const req = http.request({ port: s.port, host: '127.0.0.1', method: 'POST', path: '/w', headers: { 'content-length': 500 } });
        req.on('error', () => resolve());
        req.write(Buffer.alloc(100, 0x61));
        setTimeout(() => req.destroy(), 50);
      });
      for (let i = 0; i < 50 && s.seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(s.seen).toEqual([{ error: 'aborted' }]);
      expect((await post(s.port, [Buffer.from('{}')])).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
