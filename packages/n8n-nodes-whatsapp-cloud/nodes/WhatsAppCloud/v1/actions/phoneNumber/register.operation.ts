import { registerPhoneNumber } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';
import { plain } from './getHealth.operation';

export const description: INodeProperties[] = [
  {
    displayName: 'Two-Step Verification PIN',
    name: 'pin',
    type: 'string',
    typeOptions: { password: true },
    required: true,
    default: '',
    placeholder: '123456',
    description: 'The number\'s 6-digit two-step verification PIN: it is set first, then the number is registered with it and its status read back',
    displayOptions: { show: { resource: ['phoneNumber'], operation: ['register'] } },
  },
];

/** Sets the two-step PIN, registers the number with it, then reads its status (core checks the PIN first). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client, i) => {
      const pin = String(this.getNodeParameter('pin', i, '')).trim();
      const result = plain(await registerPhoneNumber(client.graph, client.phoneNumberId, { pin }));
      if (result.phone && typeof result.phone === 'object') delete (result.phone as { raw?: unknown }).raw;
      return result;
    },
    { mode: 'sequential' },
  );
}
