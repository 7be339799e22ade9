import { getBusinessProfile } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';
import { plain } from '../phoneNumber/getHealth.operation';

export const description: INodeProperties[] = [];

/** The number's business profile, with Meta's field names. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(this, async (client) => plain(await getBusinessProfile(client.graph, client.phoneNumberId)), { mode: 'sequential' });
}
