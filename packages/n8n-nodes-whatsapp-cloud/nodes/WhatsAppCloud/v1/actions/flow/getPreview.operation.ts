import { getFlowPreview } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

const show = { resource: ['flow'], operation: ['getPreview'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Flow ID',
    name: 'flowId',
    type: 'string',
    required: true,
    default: '',
    placeholder: '1234567890123456',
    description: 'The Flow ID from WhatsApp Manager → Flows, or from Flow → Get Many',
    displayOptions: { show },
  },
  {
    displayName: 'New Link',
    name: 'invalidate',
    type: 'boolean',
    default: false,
    description: 'Whether to make a new preview link (the previous one stops working)',
    displayOptions: { show },
  },
];

/** `{ flowId, previewUrl, expiresAt }` per item. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client, i) => ({ ...(await getFlowPreview(client.graph, this.getNodeParameter('flowId', i) as string, { invalidate: this.getNodeParameter('invalidate', i, false) as boolean })) }),
    { mode: 'sequential' },
  );
}
