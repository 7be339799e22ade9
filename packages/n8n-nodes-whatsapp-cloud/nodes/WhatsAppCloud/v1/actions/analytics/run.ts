import type { GraphApi } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { errorJson, getCredentials, requireWabaId, toNodeError, withGraph } from '../../../transport';

/**
 * Runs `read` for every input item and outputs one item per row it returns (paired with the
 * input item): analytics answer with many rows per request.
 */
export async function rowsForEachItem(
  ctx: IExecuteFunctions,
  read: (graph: GraphApi, wabaId: string, itemIndex: number) => Promise<IDataObject[]>,
): Promise<INodeExecutionData[]> {
  const credentials = await getCredentials(ctx);
  const wabaId = requireWabaId(ctx.getNode(), credentials);
  const out: INodeExecutionData[] = [];
  await withGraph(credentials, async (graph) => {
    for (let i = 0; i < ctx.getInputData().length; i++) {
      try {
        for (const row of await read(graph, wabaId, i)) out.push({ json: row, pairedItem: { item: i } });
      } catch (error) {
        if (!ctx.continueOnFail()) throw toNodeError(ctx.getNode(), error, i);
        out.push({ json: { error: errorJson(error) }, pairedItem: { item: i } });
      }
    }
  });
  return out;
}
