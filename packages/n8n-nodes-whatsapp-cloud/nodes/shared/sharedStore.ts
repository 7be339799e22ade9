import type { INodeProperties } from 'n8n-workflow';

/**
 * "State Store", on the action node and the trigger: where 24-hour windows, quality records, seen
 * webhook events and (with Redis) the send budget live. The parameter keeps its old name
 * (`sharedStore`) so saved workflows keep their choice; the old default `none` ("this n8n process")
 * means the embedded store now (see transport's stateStoreChoice). Each node lists the Redis
 * credential (`whatsAppCloudRedisApi`) inline, shown only for Redis: n8n's lint reads credential
 * lists as literals.
 */
export const sharedStoreProperty: INodeProperties = {
  displayName: 'State Store',
  name: 'sharedStore',
  type: 'options',
  noDataExpression: true,
  default: 'embedded',
  description:
    'Where the 24-hour windows, opt-outs and suppressions, seen webhook events and Send and Wait questions live. Embedded keeps them in a file in the n8n folder (wa-cloud/state.sqlite), so a restart loses nothing. Choose Redis when n8n runs in queue mode (workers and webhook processes) or as several instances, with the same Redis and key prefix on every node and trigger.',
  options: [
    { name: 'Embedded (This N8n, on Disk)', value: 'embedded', description: 'A SQLite file in the n8n folder: kept across restarts, right for a single n8n (regular mode)' },
    { name: 'Memory Only', value: 'memory', description: 'This n8n process only: lost on every restart' },
    { name: 'Redis (Queue Mode)', value: 'redis', description: 'Shared by every n8n process that uses the same Redis and key prefix' },
  ],
};
