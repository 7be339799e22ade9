import { listBlockedUsers } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

export const description: INodeProperties[] = [];

/** The number's blocked users (every page), as `{ users: [...] }`. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(this, async (client) => ({ users: await listBlockedUsers(client.graph, client.phoneNumberId) }), { mode: 'sequential' });
}
