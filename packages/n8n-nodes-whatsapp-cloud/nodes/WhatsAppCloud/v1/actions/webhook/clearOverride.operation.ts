import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { pending } from '../../../transport/core-pending';
import { runForEachItem } from '../../helpers/execute';

export const description: INodeProperties[] = [];

/** Removes the phone number's webhook override: its webhooks go to the app's URL again. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client) => ({ phoneNumberId: client.phoneNumberId, cleared: await pending('clearPhoneNumberWebhook')(client.graph, client.phoneNumberId) }),
    { mode: 'sequential' },
  );
}
