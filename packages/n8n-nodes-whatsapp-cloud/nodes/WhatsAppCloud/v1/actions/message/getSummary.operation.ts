import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { executionStore, toNodeError } from '../../../transport';
import { readLedgerFilters } from '../../helpers/ledger';

const show = { resource: ['message'], operation: ['getSummary'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Filters',
    name: 'filters',
    type: 'collection',
    placeholder: 'Add Filter',
    default: {},
    displayOptions: { show },
    options: [
      { displayName: 'Sent After', name: 'since', type: 'dateTime', default: '', description: 'Only messages sent at or after this time' },
      { displayName: 'Sent Before', name: 'until', type: 'dateTime', default: '', description: 'Only messages sent before this time' },
      { displayName: 'Template Name', name: 'template', type: 'string', default: '', placeholder: 'order_update', description: 'Only this template' },
    ],
  },
];

/**
 * Per template and UTC day, from the delivery ledger: messages, sent, delivered, read, failed (by
 * error category), pending, and billable messages by pricing category. One item per row.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const state = await executionStore(this);
  const out: INodeExecutionData[] = [];
  const items = this.getInputData();
  for (let i = 0; i < items.length; i++) {
    try {
      const rows = await state.ledger.summary(readLedgerFilters(this, i));
      for (const row of rows) out.push({ json: row as unknown as IDataObject, pairedItem: { item: i } });
    } catch (error) {
      if (!this.continueOnFail()) throw toNodeError(this.getNode(), error, i);
      out.push({ json: { error: error instanceof Error ? error.message : String(error) }, pairedItem: { item: i } });
    }
  }
  return out;
}
