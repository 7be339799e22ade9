import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Response } from 'undici';
import { GraphApiError, ValidationError } from '../src/errors/error-classes';
import { GraphApi } from '../src/http/graph-api';
import { checkMedia, deleteMedia, downloadMedia, getMedia, uploadMedia } from '../src/media';
import { LoopbackServer, graphError } from './support/loopback-server';

const TOKEN = 'EAAtest';
let server: LoopbackServer;
let graph: GraphApi;

beforeEach(async () => {
  server = await LoopbackServer.start();
  graph = new GraphApi({ accessToken: TOKEN, baseUrl: server.url, apiVersion: 'v25.0' });
});
afterEach(async () => {
  await graph.close();
  await server.close();
});

async function formOf(index = 0) {
  const request = server.requests[index]!;
  return new Response(request.body, { headers: { 'content-type': String(request.headers['content-type']) } }).formData();
}

describe('uploadMedia', () => {
  it('posts multipart to /{phone}/media with the token and returns the id', async () => {
    server.responder = () => ({ json: { id: '4490709327384033' } });
    const data = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const result = await uploadMedia(graph, '106540352242922', { data, mimeType: 'image/jpeg', filename: 'a.jpg' });
    expect(result).toEqual({ id: '4490709327384033', kind: 'image', size: 7 });
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/v25.0/106540352242922/media');
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(String(request.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    const form = await formOf();
    expect(form.get('messaging_product')).toBe('whatsapp');
    expect(form.get('type')).toBe('image/jpeg');
    const file = form.get('file') as unknown as { name: string; type: string; arrayBuffer(): Promise<ArrayBuffer> };
    expect(file.name).toBe('a.jpg');
    expect(file.type).toBe('image/jpeg');
    expect(Buffer.from(await file.arrayBuffer()).equals(data)).toBe(true);
  });

  it('reads a stream, and sends the base MIME type for audio with codecs', async () => {
    server.responder = () => ({ json: { id: 'm1' } });
    const stream = Readable.from([Buffer.from('Ogg'), Buffer.from('S data')]);
    const result = await uploadMedia(graph, '1', { data: stream, mimeType: 'audio/ogg; codecs=opus' });
    expect(result.size).toBe(9);
    const form = await formOf();
    expect(form.get('type')).toBe('audio/ogg');
  });

  it.each([
    ['image/gif', 10, /mimeType: "image\/gif" is not a type WhatsApp accepts/],
    ['image/png', 5 * 1024 * 1024 + 1, /data: 5 MB, the limit for image \(image\/png\) is 5 MB/],
    ['video/mp4', 16 * 1024 * 1024 + 1, /limit for video \(video\/mp4\) is 16 MB/],
    ['image/webp', 500 * 1024 + 1, /limit for sticker \(image\/webp\) is 500 KB/],
    ['application/pdf', 0, /data: the file is empty/],
  ])('refuses %s of %d bytes before any request', async (mimeType, size, message) => {
    await expect(uploadMedia(graph, '1', { data: Buffer.alloc(size), mimeType })).rejects.toThrow(message);
    await expect(uploadMedia(graph, '1', { data: Buffer.alloc(size), mimeType })).rejects.toBeInstanceOf(ValidationError);
    expect(server.requests).toHaveLength(0);
  });

  it('stops reading a stream as soon as it passes the limit', async () => {
    let produced = 0;
    const chunk = Buffer.alloc(64 * 1024);
    const endless = new Readable({
      read() {
        produced += chunk.length;
        this.push(chunk);
      },
    });
    await expect(uploadMedia(graph, '1', { data: endless, mimeType: 'image/jpeg' })).rejects.toThrow(/more than 5 MB/);
    expect(produced).toBeLessThan(6 * 1024 * 1024);
    expect(endless.destroyed).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('document limit is 100 MB and accepts office types', () => {
    expect(checkMedia('application/vnd.openxmlformats-officedocument.wordprocessingml.document', 99 * 1024 * 1024).kind).toBe('document');
    expect(() => checkMedia('application/pdf', 100 * 1024 * 1024 + 1)).toThrow(/100 MB/);
  });

  it('maps Meta errors (131053)', async () => {
    server.responder = () => graphError(400, 131053, '(#131053) Media upload error');
    const error = await uploadMedia(graph, '1', { data: Buffer.from('x'), mimeType: 'text/plain' }).catch((e) => e);
    expect(error).toBeInstanceOf(GraphApiError);
    expect(error.category).toBe('media');
  });
});

describe('getMedia, deleteMedia', () => {
  it('GET /{mediaId}?phone_number_id=', async () => {
    server.responder = () => ({ json: { messaging_product: 'whatsapp', url: 'https://lookaside.fbsbx.com/x', mime_type: 'image/jpeg', sha256: 'abc', file_size: 303833, id: '123' } });
    expect(await getMedia(graph, '123', { phoneNumberId: '777' })).toEqual({ id: '123', url: 'https://lookaside.fbsbx.com/x', mimeType: 'image/jpeg', sha256: 'abc', fileSize: 303833 });
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/v25.0/123?phone_number_id=777' });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('DELETE /{mediaId}', async () => {
    server.responder = () => ({ json: { success: true } });
    expect(await deleteMedia(graph, '123')).toBe(true);
    expect(server.requests[0]).toMatchObject({ method: 'DELETE', url: '/v25.0/123' });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });
});

describe('downloadMedia', () => {
  const bytes = Buffer.from('%PDF-1.4 fake');
  const hex = createHash('sha256').update(bytes).digest('hex');
  const b64 = createHash('sha256').update(bytes).digest('base64');

  function serveMedia(sha256 = hex) {
    server.responder = (req) => {
      if (req.url.startsWith('/v25.0/')) return { json: { url: `${server.url}/files/1?ext=1`, mime_type: 'application/pdf', sha256, file_size: bytes.length, id: '9' } };
      if (req.url.startsWith('/files/1')) return { body: bytes, headers: { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="receipt.pdf"' } };
      return { status: 404, body: 'gone' };
    };
  }

  it('gets a fresh URL, downloads WITH the token and a User-Agent, verifies sha256', async () => {
    serveMedia();
    const file = await downloadMedia(graph, '9');
    expect(file).toEqual({ data: bytes, mimeType: 'application/pdf', sha256: hex, fileSize: bytes.length, filename: 'receipt.pdf' });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /v25.0/9', 'GET /files/1?ext=1']);
    const download = server.requests[1]!;
    expect(download.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(download.headers['user-agent']).toMatch(/wa-cloud/);
  });

  it('accepts a base64 sha256 (the webhook form)', async () => {
    serveMedia(b64);
    expect((await downloadMedia(graph, '9')).data.equals(bytes)).toBe(true);
  });

  it('a checksum mismatch throws media_checksum_mismatch', async () => {
    serveMedia('0'.repeat(64));
    await expect(downloadMedia(graph, '9')).rejects.toMatchObject({ code: 'media_checksum_mismatch', category: 'media' });
  });

  it('tries a known URL first; an expired one falls back to a fresh URL', async () => {
    serveMedia();
    const file = await downloadMedia(graph, '9', { url: `${server.url}/expired` });
    expect(file.data.equals(bytes)).toBe(true);
    expect(server.requests.map((r) => r.url)).toEqual(['/expired', '/v25.0/9', '/files/1?ext=1']);
  });

  it('a fresh known URL needs only one request (checked against the webhook sha256)', async () => {
    serveMedia();
    const file = await downloadMedia(graph, '9', { url: `${server.url}/files/1`, sha256: b64 });
    expect(file.data.equals(bytes)).toBe(true);
    expect(server.requests).toHaveLength(1);
    await expect(downloadMedia(graph, '9', { url: `${server.url}/files/1`, sha256: 'AAAA' })).rejects.toMatchObject({ code: 'media_checksum_mismatch' });
  });

  it('never sends the token to a URL outside Meta\'s media hosts', async () => {
    serveMedia();
    const other = await LoopbackServer.start();
    try {
      await downloadMedia(graph, '9', { url: `${other.url}/steal` });
      expect(other.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('an expired media ID is Meta\'s error', async () => {
    server.responder = () => graphError(404, 100, '(#100) Unsupported get request', 'Object with ID does not exist');
    await expect(downloadMedia(graph, '9')).rejects.toBeInstanceOf(GraphApiError);
  });
});
