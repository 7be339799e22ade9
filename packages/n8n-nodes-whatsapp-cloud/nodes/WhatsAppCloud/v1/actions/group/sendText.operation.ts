import { sendToGroup } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

export const description: INodeProperties[] = [
  {
    displayName: 'Text',
    name: 'text',
    type: 'string',
    required: true,
    default: '',
    typeOptions: { rows: 2 },
    description: 'Up to 4096 characters',
    displayOptions: { show: { resource: ['group'], operation: ['sendText'] } },
  },
];

/** `{ messageId, groupId }` per item, paced by the number's limiter. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client, i) => ({ ...(await sendToGroup(client, this.getNodeParameter('groupId', i) as string, { type: 'text', text: { body: this.getNodeParameter('text', i) as string } })) }),
    { mode: 'sequential' },
  );
}
