import { clearPhoneNumberWebhook } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

export const description: INodeProperties[] = [];

/** Removes the phone number's webhook override: its webhooks go to the app's URL again. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client) => ({ phoneNumberId: client.phoneNumberId, cleared: await clearPhoneNumberWebhook(client.graph, client.phoneNumberId) }),
    { mode: 'sequential' },
  );
}
