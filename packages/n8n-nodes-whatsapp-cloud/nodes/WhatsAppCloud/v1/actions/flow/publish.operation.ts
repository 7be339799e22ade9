import { publishFlow } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

export const description: INodeProperties[] = [
  {
    displayName: 'Flow ID',
    name: 'flowId',
    type: 'string',
    required: true,
    default: '',
    placeholder: '1234567890123456',
    description: 'The draft Flow to publish. Publishing cannot be undone: a published Flow can only be deprecated.',
    displayOptions: { show: { resource: ['flow'], operation: ['publish'] } },
  },
];

/** `{ success, flowId }` per item; a Flow with validation errors fails with Meta's 139001 and its details. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(this, async (client, i) => ({ ...(await publishFlow(client.graph, this.getNodeParameter('flowId', i) as string)) }), {
    mode: 'sequential',
  });
}
