import { getPhoneNumber } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

export const description: INodeProperties[] = [];

/** Quality rating, throughput level, status and messaging limit of the credential's number. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client) => {
      const info = { ...(await getPhoneNumber(client.graph, client.phoneNumberId)) } as IDataObject;
      delete info.raw;
      return info;
    },
    { mode: 'sequential' },
  );
}
