import { startSandbox } from '../src';
import { FaultPlanner } from '../src/faults';
import { Rng } from '../src/ids';
import { sendText, setup, statusesOf } from './helpers';

describe('fault injection on sends', () => {
  test('server_error → HTTP 503, code 2, is_transient, message NOT accepted', async () => {
    const sb = await startSandbox({ faults: { rate: 1, kinds: ['server_error'] } });
    try {
      sb.setWindow('15551230001');
      const r = await sendText(sb, '15551230001');
      expect(r.status).toBe(503);
      expect(r.json.error).toMatchObject({ code: 2, is_transient: true, type: 'OAuthException' });
      expect(sb.messages).toHaveLength(0);
      expect(sb.requests[sb.requests.length - 1]).toMatchObject({ status: 503, errorCode: 2, fault: 'server_error' });
    } finally {
      await sb.close();
    }
  });

  test('reset_before: the connection dies, nothing accepted', async () => {
    const sb = await startSandbox({ faults: { rate: 1, kinds: ['reset_before'] } });
    try {
      sb.setWindow('15551230001');
      await expect(sendText(sb, '15551230001')).rejects.toThrow();
      expect(sb.messages).toHaveLength(0);
      expect(sb.requests[sb.requests.length - 1]).toMatchObject({ status: 0, fault: 'reset_before' });
    } finally {
      await sb.close();
    }
  });

  test('reset_after: the connection dies but the message was accepted and its statuses flow', async () => {
    const { sb, rx, close } = await setup({ faults: { rate: 1, kinds: ['reset_after'] } });
    try {
      sb.setWindow('15551230001');
      await expect(sendText(sb, '15551230001')).rejects.toThrow();
      expect(sb.messages).toHaveLength(1);
      expect(sb.messages[0].fault).toBe('reset_after');
      await rx.waitFor(() => statusesOf(rx).length === 3);
      expect(statusesOf(rx)[0].id).toBe(sb.messages[0].id);
    } finally {
      await close();
    }
  });

  test('slow: answers after slowMs, and the message is accepted', async () => {
    const sb = await startSandbox({ faults: { rate: 1, kinds: ['slow'], slowMs: 250 } });
    try {
      sb.setWindow('15551230001');
      const t0 = Date.now();
      const pending = sendText(sb, '15551230001');
      await sb.waitFor(() => sb.messages.length === 1); // accepted before the answer
      const r = await pending;
      expect(r.status).toBe(200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
      expect(r.json.messages[0].id).toBe(sb.messages[0].id);
    } finally {
      await sb.close();
    }
  });

  test('a client that times out on slow leaves a socket the sandbox closes cleanly', async () => {
    const sb = await startSandbox({ faults: { rate: 1, kinds: ['slow'] } }); // default 35 s
    sb.setWindow('15551230001');
    const ac = new AbortController();
    const p = fetch(`${sb.url}/v23.0/${sb.phoneNumberId}/messages`, {
      method: 'POST',
      signal: ac.signal,
      headers: { authorization: `Bearer ${sb.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', to: '15551230001', text: { body: 'x' } }),
    });
    await sb.waitFor(() => sb.messages.length === 1);
    ac.abort();
    await expect(p).rejects.toThrow();
    const t0 = Date.now();
    await sb.close();
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  test('reset resolves to both variants; decisions are deterministic per seed; rate is honoured', () => {
    const seq = (seed: number) => {
      const f = new FaultPlanner({ rate: 0.5, kinds: ['reset', 'server_error'] }, new Rng(seed));
      return Array.from({ length: 200 }, () => f.decide() ?? 'none');
    };
    const a = seq(7);
    expect(seq(7)).toEqual(a);
    expect(seq(8)).not.toEqual(a);
    expect(a).toEqual(expect.arrayContaining(['reset_before', 'reset_after', 'server_error', 'none']));
    expect(a).not.toContain('reset');
    const faulted = a.filter((x) => x !== 'none').length;
    expect(faulted).toBeGreaterThan(70);
    expect(faulted).toBeLessThan(130);
  });

  test('with a seed, the same request sequence gets the same faults over HTTP', async () => {
    const run = async (): Promise<number[]> => {
      const sb = await startSandbox({ seed: 42, faults: { rate: 0.5, kinds: ['server_error'] }, statusDelaysMs: { sent: 1, delivered: null, read: null } });
      try {
        sb.setWindow('15551230001');
        const out: number[] = [];
        for (let i = 0; i < 12; i++) out.push((await sendText(sb, '15551230001')).status);
        return out;
      } finally {
        await sb.close();
      }
    };
    const first = await run();
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });
});
