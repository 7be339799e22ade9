import { diagnose } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

export const description: INodeProperties[] = [];

/** Core's diagnosis ("why is nothing arriving?"): one output item per check. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const perItem = await runForEachItem(
    this,
    async (client) => {
      const report = await diagnose({ graph: client.graph, phoneNumberId: client.phoneNumberId, ...(client.wabaId ? { wabaId: client.wabaId } : {}) });
      return { checks: report.checks as unknown as IDataObject[] };
    },
    { mode: 'sequential' },
  );
  return perItem.flatMap((item) =>
    Array.isArray(item.json.checks) ? (item.json.checks as IDataObject[]).map((c) => ({ json: c, pairedItem: item.pairedItem })) : [item],
  );
}
