import { startSandbox } from '../src';
import { graph, sendText, setup, startReceiver, statusesOf } from './helpers';

describe('webhook delivery, retries, verification and overrides', () => {
  test('redelivers with backoff until 200, with identical bytes and signature', async () => {
    const { sb, rx, close } = await setup({ webhookRetry: { maxAttempts: 5, baseDelayMs: 20 } }, { status: (n) => (n <= 2 ? 500 : 200) });
    try {
      await sb.inbound({ from: '15551230001', text: 'dedupe me' });
      const posts = await rx.waitFor((p) => p.length === 3);
      await new Promise((r) => setTimeout(r, 100));
      expect(rx.posts()).toHaveLength(3); // stops after the 200
      expect(posts[1].raw.equals(posts[0].raw)).toBe(true);
      expect(posts[2].raw.equals(posts[0].raw)).toBe(true);
      expect(posts[2].headers['x-hub-signature-256']).toBe(posts[0].headers['x-hub-signature-256']);
      expect(sb.webhookDeliveries.map((d) => [d.attempt, d.status])).toEqual([[1, 500], [2, 500], [3, 200]]);
      const gaps = [sb.webhookDeliveries[1].at - sb.webhookDeliveries[0].at, sb.webhookDeliveries[2].at - sb.webhookDeliveries[1].at];
      expect(gaps[0]).toBeGreaterThanOrEqual(15);
      expect(gaps[1]).toBeGreaterThanOrEqual(35); // doubled
    } finally {
      await close();
    }
  });

  test('gives up after maxAttempts', async () => {
    const { sb, rx, close } = await setup({ webhookRetry: { maxAttempts: 3, baseDelayMs: 5 } }, { status: () => 503 });
    try {
      await sb.inbound({ from: '15551230001', text: 'x' });
      await rx.waitFor((p) => p.length === 3);
      await new Promise((r) => setTimeout(r, 60));
      expect(rx.posts()).toHaveLength(3);
      expect(sb.webhookDeliveries.every((d) => d.status === 503)).toBe(true);
    } finally {
      await close();
    }
  });

  test('an unreachable receiver is recorded with status 0', async () => {
    const sb = await startSandbox({ webhookUrl: 'http://127.0.0.1:1/nothing', webhookRetry: { maxAttempts: 1 } });
    try {
      await sb.inbound({ from: '15551230001', text: 'x' });
      expect(sb.webhookDeliveries).toHaveLength(1);
      expect(sb.webhookDeliveries[0].status).toBe(0);
    } finally {
      await sb.close();
    }
  });

  test('emit sends any field with entry.time, signed', async () => {
    const { sb, rx, close } = await setup();
    try {
      const status = await sb.emit('phone_number_quality_update', { display_phone_number: sb.displayPhoneNumber, event: 'FLAGGED', current_limit: 'TIER_2K' });
      expect(status).toBe(200);
      const [h] = rx.posts();
      expect(h.json.entry[0]).toMatchObject({ id: sb.wabaId, time: expect.any(Number), changes: [{ field: 'phone_number_quality_update', value: { event: 'FLAGGED' } }] });
      expect(sb.webhookDeliveries[0].field).toBe('phone_number_quality_update');
    } finally {
      await close();
    }
  });

  test('verifyWebhook: true only when the challenge is echoed exactly', async () => {
    const good = await startReceiver();
    const wrong = await startReceiver({ challenge: 'wrong' });
    const otherToken = await startReceiver({ verifyToken: 'something-else' });
    const sb = await startSandbox({ webhookUrl: good.url });
    try {
      expect(await sb.verifyWebhook()).toBe(true);
      const get = good.hits.find((h) => h.method === 'GET')!;
      const q = new URL(get.url, 'http://x').searchParams;
      expect(q.get('hub.mode')).toBe('subscribe');
      expect(q.get('hub.verify_token')).toBe('sandbox-verify-token');
      expect(q.get('hub.challenge')).toMatch(/^\d+$/);
      expect(await sb.verifyWebhook(wrong.url)).toBe(false);
      expect(await sb.verifyWebhook(otherToken.url)).toBe(false);
      expect(await sb.verifyWebhook(otherToken.url, 'something-else')).toBe(true);
    } finally {
      await Promise.all([sb.close(), good.close(), wrong.close(), otherToken.close()]);
    }
  });

  test('per-number override: verified first (2200 when not), then used; empty override clears it', async () => {
    const { sb, rx, close } = await setup();
    const override = await startReceiver({ verifyToken: 'ovr' });
    const bad = await startReceiver({ challenge: 'forbid' });
    try {
      const fail = await graph(sb, 'POST', sb.phoneNumberId, { webhook_configuration: { override_callback_uri: bad.url, verify_token: 'ovr' } });
      expect(fail.status).toBe(400);
      expect(fail.json.error.code).toBe(2200);
      expect(sb.webhookTarget).toBe(rx.url);

      const ok = await graph(sb, 'POST', sb.phoneNumberId, { webhook_configuration: { override_callback_uri: override.url, verify_token: 'ovr' } });
      expect(ok).toEqual({ status: 200, json: { success: true } });
      const cfg = await graph(sb, 'GET', `${sb.phoneNumberId}?fields=webhook_configuration`);
      expect(cfg.json).toEqual({ webhook_configuration: { application: rx.url, phone_number: override.url }, id: sb.phoneNumberId });

      await sb.inbound({ from: '15551230001', text: 'to the override' });
      expect(override.posts()).toHaveLength(1);
      expect(rx.posts()).toHaveLength(0);

      await graph(sb, 'POST', sb.phoneNumberId, { webhook_configuration: { override_callback_uri: '' } });
      await sb.inbound({ from: '15551230001', text: 'back to the app' });
      expect(rx.posts()).toHaveLength(1);
    } finally {
      await Promise.all([close(), override.close(), bad.close()]);
    }
  });

  test('subscribed_apps: list, WABA override (verified), unsubscribe stops webhooks', async () => {
    const { sb, rx, close } = await setup();
    const wabaRx = await startReceiver({ verifyToken: 'w' });
    try {
      const list = await graph(sb, 'GET', `${sb.wabaId}/subscribed_apps`);
      expect(list.json.data).toHaveLength(1);
      expect(list.json.data[0].whatsapp_business_api_data.id).toEqual(expect.any(String));
      expect((await graph(sb, 'POST', `${sb.wabaId}/subscribed_apps`, { override_callback_uri: wabaRx.url, verify_token: 'w' })).json).toEqual({ success: true });
      expect((await graph(sb, 'GET', `${sb.wabaId}/subscribed_apps`)).json.data[0].override_callback_uri).toBe(wabaRx.url);
      await sb.inbound({ from: '15551230001', text: 'x' });
      expect(wabaRx.posts()).toHaveLength(1);
      expect((await graph(sb, 'DELETE', `${sb.wabaId}/subscribed_apps`)).json).toEqual({ success: true });
      expect((await graph(sb, 'GET', `${sb.wabaId}/subscribed_apps`)).json.data).toEqual([]);
      await sb.inbound({ from: '15551230001', text: 'nobody hears this' });
      sb.setWindow('15551230001');
      await sendText(sb, '15551230001');
      await new Promise((r) => setTimeout(r, 40));
      expect(wabaRx.posts()).toHaveLength(1);
      expect(statusesOf(rx)).toHaveLength(0);
    } finally {
      await Promise.all([close(), wabaRx.close()]);
    }
  });
});
