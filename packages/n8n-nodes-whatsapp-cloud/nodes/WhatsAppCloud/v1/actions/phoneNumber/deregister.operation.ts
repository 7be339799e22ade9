import { deregisterPhoneNumber } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

export const description: INodeProperties[] = [];

/** Deregisters the number from the Cloud API (register + deregister: 10 per 72 hours). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client) => ({ phoneNumberId: client.phoneNumberId, ...(await deregisterPhoneNumber(client.graph, client.phoneNumberId)) }),
    { mode: 'sequential' },
  );
}
