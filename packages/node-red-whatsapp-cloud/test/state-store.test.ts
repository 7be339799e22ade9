/**
 * The config node's "State store" in Node-RED (test helper): Embedded by default puts a SQLite
 * file in the user folder; the account node's "forget" operation removes every trace of a user
 * from it (row dump and byte scan of the file); a corrupt file shows on the nodes and in the log,
 * and webhooks still reach the flow.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '@wa-cloud/core';
import type { Sandbox } from '../../sandbox/src';
import { configFor, helper, load, nextMessage, sandbox, startServer, stop, type Loaded } from './helpers';

function flow(sb: Sandbox, configProps: Record<string, unknown> = {}) {
  const config = configFor(sb, { store: 'embedded', ...configProps });
  return {
    nodes: [
      config.node,
      { id: 'tab', type: 'tab' },
      { id: 'in', z: 'tab', x: 1, y: 1, type: 'whatsapp-cloud-in', config: 'cfg', path: '/store-hook', wires: [['messages'], [], []] },
      { id: 'messages', z: 'tab', x: 1, y: 1, type: 'helper' },
      { id: 'account', z: 'tab', x: 1, y: 1, type: 'whatsapp-cloud-account', config: 'cfg', operation: 'forget', wires: [['forgot']] },
      { id: 'forgot', z: 'tab', x: 1, y: 1, type: 'helper' },
    ],
    credentials: config.credentials,
  };
}

describe('state store (Node-RED config node)', () => {
  let sb: Sandbox;
  let loaded: Loaded | undefined;
  beforeEach(async () => {
    await startServer();
    sb = await sandbox();
  });
  afterEach(async () => {
    await stop(loaded);
    loaded = undefined;
    await sb.close();
  });

  test('embedded: the file is in the user folder; "forget" leaves no row and no byte with the number', async () => {
    const USER = '15559870001';
    const userDir = mkdtempSync(join(tmpdir(), 'wa-nr-store-'));
    const f = flow(sb);
    loaded = await load(f.nodes, f.credentials, { userDir });
    sb.setWebhookUrl(`${loaded.nodeUrl}/store-hook`);
    const arrived = nextMessage(helper.getNode('messages'));
    await sb.inbound({ from: USER, text: 'remember me' });
    await arrived;
    await sb.setMarketingPreference(USER, 'stop');
    const file = join(userDir, 'wa-cloud', 'state.sqlite');
    expect(existsSync(file)).toBe(true);
    const scan = () => {
      const db = openSqlite(file);
      try {
        const rows = ['wa_windows', 'wa_quality', 'wa_dedupe'].flatMap((t) => db.prepare(`SELECT * FROM ${t}`).all()).map((r) => JSON.stringify(r)).join('\n');
        const bytes = Buffer.concat([file, `${file}-wal`].filter(existsSync).map((p) => readFileSync(p)));
        return rows.includes(USER) || bytes.includes(USER);
      } finally {
        db.close();
      }
    };
    expect(scan()).toBe(true);

    const forgot = nextMessage(helper.getNode('forgot'));
    helper.getNode('account').receive({ users: `+${USER.slice(0, 1)} ${USER.slice(1)}` });
    const msg = await forgot;
    expect(msg.payload).toMatchObject({ removed: expect.any(Number), hashedOptOuts: 1 });
    expect(msg.payload.removed).toBeGreaterThanOrEqual(3); // window, opt-out, seen message
    expect(sb.requests.filter((r) => r.path.includes('block'))).toEqual([]); // nothing went to Meta
    expect(scan()).toBe(false);
  });

  test('a corrupt store file: the config node falls back to memory and logs an error naming the file; webhooks still reach the flow', async () => {
    const userDir = mkdtempSync(join(tmpdir(), 'wa-nr-store-'));
    mkdirSync(join(userDir, 'wa-cloud'), { recursive: true });
    const file = join(userDir, 'wa-cloud', 'state.sqlite');
    writeFileSync(file, Buffer.alloc(8192, 'not a database '));
    const f = flow(sb);
    loaded = await load(f.nodes, f.credentials, { userDir });
    const config = helper.getNode('cfg');
    expect(config.shared.kind).toBe('memory');
    expect(config.shared.problem().message).toContain(file);
    const logged = helper.log().args.map((a: unknown[]) => JSON.stringify(a[0]));
    expect(logged.some((line: string) => line.includes(file) && line.includes('kept in memory'))).toBe(true);
    // The webhook node says so on its status once it takes a webhook.
    const inNode = helper.getNode('in');
    const shown: string[] = [];
    const status = inNode.status.bind(inNode);
    inNode.status = (s: { text?: string }) => {
      shown.push(s.text ?? '');
      return status(s);
    };
    sb.setWebhookUrl(`${loaded.nodeUrl}/store-hook`);
    const arrived = nextMessage(helper.getNode('messages'));
    await sb.inbound({ from: '15559870002', text: 'still heard' });
    expect((await arrived).payload.text).toBe('still heard');
    expect(sb.webhookDeliveries.at(-1)!.status).toBe(200);
    expect(shown.at(-1)).toBe('state in memory: store file unusable (see log)');
  });
});
