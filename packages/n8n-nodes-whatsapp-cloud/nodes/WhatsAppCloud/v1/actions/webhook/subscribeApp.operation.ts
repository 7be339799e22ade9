import { subscribeApp } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { getCredentials, requireWabaId } from '../../../transport';
import { runForEachItem } from '../../helpers/execute';

export const description: INodeProperties[] = [];

/** Subscribes the token's Meta app to the WABA: without it, a production number's webhooks never arrive. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const wabaId = requireWabaId(this.getNode(), await getCredentials(this));
  return await runForEachItem(this, async (client) => ({ wabaId, subscribed: await subscribeApp(client.graph, wabaId) }), { mode: 'sequential' });
}
