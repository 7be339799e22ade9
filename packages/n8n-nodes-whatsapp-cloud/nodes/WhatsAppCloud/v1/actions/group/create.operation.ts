import { createGroup } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

const show = { resource: ['group'], operation: ['create'] };

export const description: INodeProperties[] = [
  { displayName: 'Subject', name: 'subject', type: 'string', required: true, default: '', description: 'Group name (≤ 128 characters)', displayOptions: { show } },
  { displayName: 'Description', name: 'groupDescription', type: 'string', default: '', typeOptions: { rows: 2 }, description: 'Up to 2048 characters', displayOptions: { show } },
  {
    displayName: 'Join Approval',
    name: 'joinApprovalMode',
    type: 'options',
    default: 'auto_approve',
    options: [
      { name: 'Anyone With the Link Joins', value: 'auto_approve' },
      { name: 'Approve Each Request', value: 'approval_required' },
    ],
    displayOptions: { show },
  },
];

/** `{ groupId?, requestId?, inviteLink? }` per item; a number that is not an Official Business Account fails with groups_not_eligible. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client, i) => {
      const description = this.getNodeParameter('groupDescription', i, '') as string;
      return {
        ...(await createGroup(client.graph, client.phoneNumberId, {
          subject: this.getNodeParameter('subject', i) as string,
          ...(description ? { description } : {}),
          joinApprovalMode: this.getNodeParameter('joinApprovalMode', i) as 'auto_approve' | 'approval_required',
        })),
      };
    },
    { mode: 'sequential' },
  );
}
