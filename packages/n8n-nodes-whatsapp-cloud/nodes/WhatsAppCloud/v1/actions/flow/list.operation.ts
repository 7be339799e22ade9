import { listFlows } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { getCredentials, requireWabaId } from '../../../transport';
import { runForEachItem } from '../../helpers/execute';

/** Every Flow of the credential's WABA, one output item per Flow (for the first input item only once). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const wabaId = requireWabaId(this.getNode(), await getCredentials(this));
  const out: INodeExecutionData[] = [];
  const perItem = await runForEachItem(this, async (client) => ({ flows: (await listFlows(client.graph, wabaId)) as never }), { mode: 'sequential' });
  for (const item of perItem) {
    const flows = item.json.flows as unknown as Array<Record<string, unknown>> | undefined;
    if (!flows) {
      out.push(item); // an error item under continueOnFail
      continue;
    }
    for (const flow of flows) out.push({ json: { ...flow } as never, pairedItem: item.pairedItem });
  }
  return out;
}
