import { getGroup } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

/** The group with `participants` (WhatsApp IDs) and `totalParticipantCount`. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(this, async (client, i) => JSON.parse(JSON.stringify(await getGroup(client.graph, this.getNodeParameter('groupId', i) as string))) as IDataObject, {
    mode: 'sequential',
  });
}
