import { pricingAnalytics } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { rowsForEachItem } from './run';

const show = { resource: ['analytics'], operation: ['pricing'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Break Down By',
    name: 'dimensions',
    type: 'multiOptions',
    default: ['PRICING_TYPE'],
    description: 'Besides the day and the pricing category, one item per…',
    options: [
      { name: 'Country', value: 'COUNTRY' },
      { name: 'Phone Number', value: 'PHONE' },
      { name: 'Pricing Type (Regular / Free)', value: 'PRICING_TYPE' },
    ],
    displayOptions: { show },
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await rowsForEachItem(this, async (graph, wabaId, i) => {
    const dimensions = ['PRICING_CATEGORY', ...(this.getNodeParameter('dimensions', i, []) as string[])];
    const rows = await pricingAnalytics(graph, wabaId, { start: this.getNodeParameter('start', i) as string, end: this.getNodeParameter('end', i) as string, dimensions });
    return rows as unknown as IDataObject[];
  });
}
