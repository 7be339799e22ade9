import type { INodeProperties } from 'n8n-workflow';

/**
 * "Shared Store", on the action node and the trigger: in-process state (one n8n process) or Redis
 * (queue mode, several instances). Each node lists the shared store credential (`whatsAppCloudRedisApi`)
 * inline, shown only for Redis: n8n's lint reads credential lists as literals.
 */
export const sharedStoreProperty: INodeProperties = {
  displayName: 'Shared Store',
  name: 'sharedStore',
  type: 'options',
  noDataExpression: true,
  default: 'none',
  description:
    'Where the send budget per number, the 24-hour windows, the seen webhook events and the Send and Wait questions live. Choose Redis when n8n runs in queue mode (workers and webhook processes) or as several instances, with the same Redis and key prefix on every node and trigger.',
  options: [
    { name: 'None (This N8n Process)', value: 'none', description: 'In memory: right for a single n8n process (regular mode)' },
    { name: 'Redis (Queue Mode)', value: 'redis', description: 'Shared by every n8n process that uses the same Redis and key prefix' },
  ],
};
