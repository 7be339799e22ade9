import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from '../src/cli';

const CLI = join(__dirname, '..', 'dist', 'cli.js');

describe('wa-cloud-sandbox CLI', () => {
  test('parseArgs maps flags to options', () => {
    const r = parseArgs(['--port', '0', '--webhook-url=http://127.0.0.1:5678/webhook/x', '--throughput', '20', '--latency', '15', '--pair-burst', '5', '--pair-interval', '100', '--faults', 'reset,slow', '--fault-rate', '0.2', '--read-delay', 'off', '--quiet']);
    expect(r.options).toMatchObject({
      port: 0, webhookUrl: 'http://127.0.0.1:5678/webhook/x', throughput: 20, latencyMs: 15, pairRate: { burst: 5, intervalMs: 100 },
      faults: { rate: 0.2, kinds: ['reset', 'slow'] }, statusDelaysMs: { read: null },
    });
    expect(r.quiet).toBe(true);
    expect(() => parseArgs(['--bogus'])).toThrow(/unknown option/);
    expect(() => parseArgs(['--throughput', 'fast'])).toThrow(/number/);
    expect(parseArgs(['--throughput-mode', 'sliding']).options.throughputMode).toBe('sliding');
    expect(parseArgs(['--throughput-mode=bucket']).options.throughputMode).toBe('bucket');
    expect(() => parseArgs(['--throughput-mode', 'window'])).toThrow(/--throughput-mode must be bucket or sliding, not "window"/);
  });

  test('prints what to paste, serves, and stops cleanly on SIGTERM (needs dist: npx tsc -b packages/sandbox)', async () => {
    expect(existsSync(CLI)).toBe(true);
    const child = spawn(process.execPath, [CLI, '--port', '0', '--webhook-url', 'http://127.0.0.1:9/hook'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`CLI did not start: ${out}`)), 5000);
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('Ctrl+C')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`CLI exited early with ${code}: ${out}`)));
      });
      for (const s of ['sandbox-token', '100000000000001', '200000000000001', 'sandbox-app-secret', 'sandbox-verify-token', 'Chat page', 'http://127.0.0.1:9/hook']) {
        expect(out).toContain(s);
      }
      const base = /Graph base URL:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
      expect((await fetch(`${base}/`)).status).toBe(200);
      const r = await fetch(`${base}/v23.0/100000000000001`, { headers: { authorization: 'Bearer sandbox-token' } });
      expect(r.status).toBe(200);
      await new Promise((res) => setTimeout(res, 50));
      // The request log never repeats a secret.
      const afterBanner = out.slice(out.indexOf('Ctrl+C'));
      expect(afterBanner).toContain('GET /v23.0/100000000000001 → 200');
      expect(afterBanner).not.toMatch(/sandbox-token|sandbox-app-secret|sandbox-verify-token/);
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
