import { startSandbox, type Sandbox } from '../src';
import { graph, manualClock, send, setup, statusesOf, type GraphAnswer } from './helpers';

async function upload(sb: Sandbox, data: Buffer, mime: string, opts: { type?: string | null; product?: string | null; filename?: string } = {}): Promise<GraphAnswer> {
  const form = new FormData();
  if (opts.product !== null) form.append('messaging_product', opts.product ?? 'whatsapp');
  form.append('file', new Blob([data], { type: mime }), opts.filename ?? 'file.bin');
  if (opts.type !== null) form.append('type', opts.type ?? mime);
  const res = await fetch(`${sb.url}/v23.0/${sb.phoneNumberId}/media`, { method: 'POST', headers: { authorization: `Bearer ${sb.accessToken}` }, body: form });
  return { status: res.status, json: (await res.json()) as GraphAnswer['json'] };
}

const JPEG = Buffer.from('ffd8ffe000104a464946000101ffd9', 'hex');

describe('media: upload, lookup, download, delete', () => {
  let sb: Sandbox;
  const clock = manualClock();
  beforeAll(async () => {
    sb = await startSandbox({ now: clock.now, statusDelaysMs: { sent: 2, delivered: null, read: null } });
  });
  afterAll(() => sb.close());

  test('upload → {id}; GET → url/mime/sha256/size; download needs the token; URL expires after 5 min', async () => {
    const up = await upload(sb, JPEG, 'image/jpeg');
    expect(up.status).toBe(200);
    expect(up.json).toEqual({ id: expect.stringMatching(/^\d+$/) });
    const info = await graph(sb, 'GET', up.json.id);
    expect(info.json).toEqual({
      messaging_product: 'whatsapp',
      url: expect.stringContaining(`${sb.url}/_media/${up.json.id}?`),
      mime_type: 'image/jpeg',
      sha256: require('node:crypto').createHash('sha256').update(JPEG).digest('hex'),
      file_size: JPEG.length,
      id: up.json.id,
    });
    const noToken = await fetch(info.json.url);
    expect(noToken.status).toBe(401);
    const dl = await fetch(info.json.url, { headers: { authorization: `Bearer ${sb.accessToken}` } });
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await dl.arrayBuffer()).equals(JPEG)).toBe(true);
    const forged = info.json.url.replace(/ext=\d+/, `ext=${clock.now() + 3_600_000}`);
    expect((await fetch(forged, { headers: { authorization: `Bearer ${sb.accessToken}` } })).status).toBe(404);
    clock.advance(5 * 60_000 + 1);
    expect((await fetch(info.json.url, { headers: { authorization: `Bearer ${sb.accessToken}` } })).status).toBe(404);
    const fresh = await graph(sb, 'GET', `${up.json.id}?phone_number_id=${sb.phoneNumberId}`);
    expect((await fetch(fresh.json.url, { headers: { authorization: `Bearer ${sb.accessToken}` } })).status).toBe(200);
  });

  test('unsupported MIME or oversize → 131053; missing fields → 100', async () => {
    const gif = await upload(sb, Buffer.from('GIF89a'), 'image/gif');
    expect(gif.status).toBe(400);
    expect(gif.json.error.code).toBe(131053);
    const big = await upload(sb, Buffer.alloc(5 * 1024 * 1024 + 1), 'image/png');
    expect(big.json.error.code).toBe(131053);
    expect(big.json.error.error_data.details).toMatch(/at most 5242880 bytes/);
    const sticker = await upload(sb, Buffer.alloc(501 * 1024), 'image/webp');
    expect(sticker.json.error.code).toBe(131053);
    const mismatch = await upload(sb, JPEG, 'image/jpeg', { type: 'application/pdf' });
    expect(mismatch.json.error.code).toBe(131053);
    const noProduct = await upload(sb, JPEG, 'image/jpeg', { product: null });
    expect(noProduct.json.error.code).toBe(100);
    const pdf = await upload(sb, Buffer.from('%PDF-1.4'), 'application/pdf', { filename: 'a.pdf' });
    expect(pdf.status).toBe(200);
  });

  test('delete → {success:true}; afterwards GET is 100/33 and a send by that ID fails with 131053', async () => {
    const up = await upload(sb, JPEG, 'image/jpeg');
    expect((await graph(sb, 'DELETE', up.json.id)).json).toEqual({ success: true });
    const gone = await graph(sb, 'GET', up.json.id);
    expect(gone.status).toBe(400);
    expect(gone.json.error).toMatchObject({ code: 100, error_subcode: 33 });
    sb.setWindow('15551230001');
    const r = await send(sb, { to: '15551230001', type: 'image', image: { id: up.json.id } });
    expect(r.status).toBe(200);
    const m = await sb.waitFor(() => sb.messages.find((x) => x.id === r.json.messages[0].id && x.statuses.length));
    expect(m.statuses[0]).toMatchObject({ status: 'failed', errors: [{ code: 131053 }] });
  });
});

describe('inbound media', () => {
  test('an inbound image becomes a media object the flow can download', async () => {
    const { sb, rx, close } = await setup();
    try {
      await sb.inbound({ from: '15551230001', type: 'image', payload: { caption: 'look', data: JPEG, mime_type: 'image/jpeg' } });
      const [h] = await rx.waitFor((p) => p.length === 1);
      const img = h.json.entry[0].changes[0].value.messages[0].image;
      expect(img).toMatchObject({ caption: 'look', mime_type: 'image/jpeg', id: expect.any(String), sha256: expect.any(String), url: expect.stringContaining('/_media/') });
      expect(Buffer.from(img.sha256, 'base64').toString('hex')).toBe(require('node:crypto').createHash('sha256').update(JPEG).digest('hex'));
      const info = await graph(sb, 'GET', img.id);
      const dl = await fetch(info.json.url, { headers: { authorization: `Bearer ${sb.accessToken}` } });
      expect(Buffer.from(await dl.arrayBuffer()).equals(JPEG)).toBe(true);
      await sb.inbound({ from: '15551230001', type: 'document', payload: {} });
      const [, h2] = await rx.waitFor((p) => p.length === 2);
      const doc = h2.json.entry[0].changes[0].value.messages[0].document;
      expect(doc).toMatchObject({ mime_type: 'application/pdf', filename: 'document.pdf' });
      expect((await graph(sb, 'GET', doc.id)).status).toBe(200);
      expect(statusesOf(rx)).toHaveLength(0);
    } finally {
      await close();
    }
  });
});
