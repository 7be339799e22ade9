/**
 * The n8n package's example workflows (packages/n8n-nodes-whatsapp-cloud/examples/*.json), bound to
 * a real credential: used by the demo (`npm start -- --n8n`) and by the tests that run every example
 * in real n8n. The files themselves reference a credential that does not exist ("WhatsApp Cloud API
 * account"), as a file imported through n8n's UI does; binding replaces that reference.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Where the examples live (this file is in <root>/test/harness/). */
export function examplesDir(root = path.resolve(__dirname, '..', '..')): string {
  return path.join(root, 'packages', 'n8n-nodes-whatsapp-cloud', 'examples');
}

/** The examples, by file name without `.json`. */
export const EXAMPLES = {
  crm: 'crm-order-shipped-template',
  reply: 'reply-in-window',
  status: 'delivery-status-tracking',
  health: 'account-health-schedule',
  approval: 'approval-send-and-wait',
  ledger: 'crm-delivery-ledger',
} as const;
export type ExampleKey = keyof typeof EXAMPLES;

export interface ExampleNode {
  id: string;
  name: string;
  type: string;
  webhookId?: string;
  parameters: Record<string, unknown>;
  credentials?: Record<string, { id: string; name: string }>;
  [key: string]: unknown;
}
export interface ExampleWorkflow {
  id?: string;
  name: string;
  nodes: ExampleNode[];
  connections: Record<string, unknown>;
  [key: string]: unknown;
}

export function loadExample(key: ExampleKey, dir = examplesDir()): ExampleWorkflow {
  return JSON.parse(fs.readFileSync(path.join(dir, `${EXAMPLES[key]}.json`), 'utf8')) as ExampleWorkflow;
}

/**
 * A copy of the example with every WhatsApp Cloud API credential reference pointing at `credential`,
 * and `id` as the workflow id. `webhookIdSuffix` makes the trigger's webhook ids unique when one n8n
 * runs the same example twice.
 */
export function bindExample(
  workflow: ExampleWorkflow,
  credential: { id: string; name: string },
  opts: { id?: string; name?: string } = {},
): ExampleWorkflow {
  const copy = JSON.parse(JSON.stringify(workflow)) as ExampleWorkflow;
  for (const node of copy.nodes) {
    if (node.credentials?.whatsAppCloudApi) node.credentials.whatsAppCloudApi = { ...credential };
  }
  if (opts.id) copy.id = opts.id;
  if (opts.name) copy.name = opts.name;
  return copy;
}

/** The URL path a Webhook node of the example answers at (`/webhook/<path>`). */
export function webhookPath(workflow: ExampleWorkflow, nodeName: string): string {
  const node = workflow.nodes.find((n) => n.name === nodeName);
  if (!node || typeof node.parameters.path !== 'string') throw new Error(`${workflow.name}: no webhook node "${nodeName}"`);
  return `/webhook/${node.parameters.path}`;
}

/** The production URL of the example's WhatsApp trigger: `/webhook/<webhookId>/whatsapp`. */
export function triggerPath(workflow: ExampleWorkflow): string {
  const node = workflow.nodes.find((n) => n.type.endsWith('.whatsAppCloudTrigger'));
  if (!node?.webhookId) throw new Error(`${workflow.name}: no WhatsApp trigger`);
  return `/webhook/${node.webhookId}/whatsapp`;
}
