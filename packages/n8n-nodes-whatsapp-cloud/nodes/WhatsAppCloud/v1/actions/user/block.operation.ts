import { blockUsers } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';
import { plain } from '../phoneNumber/getHealth.operation';
import { usersOf } from './users';

export const description: INodeProperties[] = [];

/** Blocks the item's users (one Graph call per item). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(this, async (client, i) => plain(await blockUsers(client.graph, client.phoneNumberId, usersOf(this, i))), { mode: 'sequential' });
}
