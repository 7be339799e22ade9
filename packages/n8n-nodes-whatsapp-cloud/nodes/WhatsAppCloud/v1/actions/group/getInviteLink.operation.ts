import { getGroupInviteLink } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

export const description: INodeProperties[] = [
  {
    displayName: 'New Link',
    name: 'reset',
    type: 'boolean',
    default: false,
    description: 'Whether to make a new invite link (the previous one stops working)',
    displayOptions: { show: { resource: ['group'], operation: ['getInviteLink'] } },
  },
];

/** `{ groupId, inviteLink }` per item. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client, i) => ({ ...(await getGroupInviteLink(client.graph, this.getNodeParameter('groupId', i) as string, { reset: this.getNodeParameter('reset', i, false) as boolean })) }),
    { mode: 'sequential' },
  );
}
