/**
 * n8n's "Retry On Fail" runs the whole node again in the same execution. An item that already went
 * out must not be sent (nor uploaded) again — also when its file comes from a binary input field,
 * where each upload would return a new media ID.
 */
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { newExecutionId, requestsDuring, runNode, sendsIn, type InputItem } from './support/execute-context';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ statusDelaysMs: { sent: 5, delivered: null, read: null } });
});
afterAll(() => sandbox.close());

/** A 1×1 PNG and a tiny WebP (the bytes only need a plausible size and the right type). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
const WEBP = Buffer.from('UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA', 'base64');

const recipient = (r: Sandbox['requests'][number]) => String((r.body as { to: string }).to).replace(/\D/g, '');
const uploadsIn = (requests: Sandbox['requests']) => requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/${sandbox.phoneNumberId}/media`));

describe.each([
  ['Send Media', { operation: 'sendMedia', mediaType: 'image', caption: 'Receipt' }, { data: PNG, mimeType: 'image/png', fileName: 'receipt.png' }, 'image'],
  ['Send Sticker', { operation: 'sendSticker' }, { data: WEBP, mimeType: 'image/webp', fileName: 'hi.webp' }, 'sticker'],
] as const)('%s from a binary field under Retry On Fail', (_name, operation, file, kind) => {
  test('the second try sends (and uploads) only the item that failed', async () => {
    const users = kind === 'image' ? ['15551110001', '15551110002'] : ['15551120001', '15551120002'];
    for (const user of users) sandbox.setWindow(user);
    const items: InputItem[] = users.map(() => ({ binary: { data: { ...file } } }));
    const params = (i: number) => ({ resource: 'message', ...operation, to: `+${users[i]}`, mediaSource: 'binary', binaryPropertyName: 'data', options: { maxAttempts: 1, windowPolicy: 'off' } });
    const executionId = newExecutionId();

    // First try: item 0 goes out, item 1 is refused at once (so the node fails and n8n retries it).
    sandbox.failSends({ code: 131016, to: users[1], sync: true, times: 1 });
    const first = await requestsDuring(sandbox, () => runNode(sandbox, { params, items, executionId }).then(() => 'ok', (e: Error) => e.message));
    expect(first.result).not.toBe('ok');
    expect(sendsIn(sandbox, first.requests).map((r) => [recipient(r), r.status])).toEqual(
      expect.arrayContaining([[users[0], 200], [users[1], 400]]),
    );

    // Retry On Fail: the same execution runs the node again.
    const second = await requestsDuring(sandbox, () => runNode(sandbox, { params, items, executionId }));
    const sends = sendsIn(sandbox, second.requests);
    expect(sends.map((r) => recipient(r))).toEqual([users[1]]);
    expect(uploadsIn(second.requests)).toHaveLength(1);
    expect((sends[0]!.body as Record<string, { id: string }>)[kind]!.id).toMatch(/^\d+$/); // a real media ID, not a placeholder
    expect(second.result.map((item) => item.json.alreadySent === true)).toEqual([true, false]);
    const accepted = sandbox.messages.filter((m) => users.includes(m.waId));
    expect(accepted.map((m) => m.waId).sort()).toEqual([...users].sort()); // each user got exactly one message
  });
});

test('a file over the limit is refused before anything is uploaded or sent', async () => {
  const executionId = newExecutionId();
  const big = Buffer.alloc(600 * 1024, 1);
  const run = await requestsDuring(sandbox, () =>
    runNode(sandbox, {
      params: { resource: 'message', operation: 'sendSticker', to: '+15551119999', mediaSource: 'binary', binaryPropertyName: 'data' },
      items: [{ binary: { data: { data: big, mimeType: 'image/webp' } } }],
      executionId,
    }).then(() => 'ok', (e: Error) => e.message),
  );
  expect(run.result).toMatch(/500 KB/);
  expect(run.requests).toEqual([]);
});
