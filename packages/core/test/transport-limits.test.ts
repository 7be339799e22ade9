/**
 * The transport reads at most a bounded answer, and only a 2xx is an answer (issue #19): a host
 * that streams hundreds of MB, or answers a redirect page, must not become a "file" or a result.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphApi, UndiciTransport, downloadMedia } from '../src';

async function server(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const close = () => {
    s.closeAllConnections();
    return new Promise<void>((r) => s.close(() => r()));
  };
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close };
}

describe('transport answer limits', () => {
  test('a declared size over the limit is refused without reading the body', async () => {
    let written = 0;
    const far = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (written < 50 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
        if (written < 50 * 1024 * 1024) res.once('drain', pump);
      };
      res.on('close', () => undefined);
      pump();
    });
    const graph = new GraphApi({ accessToken: 't', baseUrl: far.url });
    try {
      await expect(graph.request('GET', 'x')).rejects.toMatchObject({ code: 'response_too_large', category: 'network' });
      expect(written).toBeLessThan(50 * 1024 * 1024);
    } finally {
      await graph.close();
      await far.close();
    }
  });

  test('a chunked answer is cut off once it passes the limit', async () => {
    let written = 0;
    const far = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = () => {
        while (written < 20 * 1024 * 1024 && !res.destroyed && res.write(chunk)) written += chunk.length;
        if (written < 20 * 1024 * 1024 && !res.destroyed) res.once('drain', pump);
        else res.end();
      };
      pump();
    });
    const transport = new UndiciTransport({ maxResponseBytes: 1024 * 1024 });
    try {
      await expect(transport.request({ method: 'GET', url: far.url, headers: {} })).rejects.toMatchObject({ code: 'response_too_large' });
      expect(written).toBeLessThan(20 * 1024 * 1024);
    } finally {
      await transport.close();
      await far.close();
    }
  });

  test('a 3xx is not success: neither a Graph result nor downloaded media', async () => {
    const far = await server((req, res) => {
      if (req.url?.startsWith('/v25.0/media1')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'media1', url: `http://${req.headers.host}/file`, mime_type: 'image/jpeg', file_size: 5 }));
        return;
      }
      res.writeHead(302, { location: 'https://login.example/', 'content-type': 'text/html' });
      res.end('<html>moved</html>');
    });
    const graph = new GraphApi({ accessToken: 't', baseUrl: far.url });
    try {
      await expect(graph.request('GET', 'anything')).rejects.toMatchObject({ status: 302 });
      await expect(downloadMedia(graph, 'media1')).rejects.toMatchObject({ status: 302 });
    } finally {
      await graph.close();
      await far.close();
    }
  });
});
