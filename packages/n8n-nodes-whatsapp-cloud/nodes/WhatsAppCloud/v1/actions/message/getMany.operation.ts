import { MAX_LEDGER_QUERY_LIMIT } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { executionStore, toNodeError } from '../../../transport';
import { readLedgerFilters, recordJson } from '../../helpers/ledger';

const show = { resource: ['message'], operation: ['getMany'] };

/** Filters shared with the summary operation (which has no reference or recipient filter). */
export const STATUS_OPTIONS = [
  { name: 'Accepted (No Status Yet)', value: 'accepted' },
  { name: 'Delivered', value: 'delivered' },
  { name: 'Failed', value: 'failed' },
  { name: 'Played', value: 'played' },
  { name: 'Read', value: 'read' },
  { name: 'Sent', value: 'sent' },
];

export const description: INodeProperties[] = [
  {
    displayName: 'Return All',
    name: 'returnAll',
    type: 'boolean',
    default: false,
    description: 'Whether to return all results or only up to a given limit',
    displayOptions: { show },
  },
  {
    displayName: 'Limit',
    name: 'limit',
    type: 'number',
    default: 50,
    typeOptions: { minValue: 1, maxValue: 10000 }, // = core's MAX_LEDGER_QUERY_LIMIT (literal for n8n's lint)
    description: 'Max number of results to return',
    displayOptions: { show: { ...show, returnAll: [false] } },
  },
  {
    displayName: 'Filters',
    name: 'filters',
    type: 'collection',
    placeholder: 'Add Filter',
    default: {},
    displayOptions: { show },
    options: [
      { displayName: 'Recipient', name: 'recipient', type: 'string', default: '', placeholder: '+14155551234', description: 'Phone number (any formatting) or BSUID the messages went to' },
      { displayName: 'Reference', name: 'reference', type: 'string', default: '', placeholder: 'order-1042', description: 'The Reference (Callback Data) the messages were sent with' },
      { displayName: 'Sent After', name: 'since', type: 'dateTime', default: '', description: 'Only messages sent at or after this time' },
      { displayName: 'Sent Before', name: 'until', type: 'dateTime', default: '', description: 'Only messages sent before this time' },
      { displayName: 'Status', name: 'status', type: 'multiOptions', default: [], options: STATUS_OPTIONS, description: 'Only messages whose current status is one of these' },
      { displayName: 'Template Name', name: 'template', type: 'string', default: '', placeholder: 'order_update', description: 'Only messages of this template' },
    ],
  },
];

/** Messages of the delivery ledger matching every filter, newest first: one item per message. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const state = await executionStore(this);
  const out: INodeExecutionData[] = [];
  const items = this.getInputData();
  for (let i = 0; i < items.length; i++) {
    try {
      const returnAll = this.getNodeParameter('returnAll', i, false) as boolean;
      const limit = returnAll ? MAX_LEDGER_QUERY_LIMIT : (this.getNodeParameter('limit', i, 50) as number);
      const records = await state.ledger.find(readLedgerFilters(this, i), limit);
      for (const record of records) out.push({ json: recordJson(record), pairedItem: { item: i } });
    } catch (error) {
      if (!this.continueOnFail()) throw toNodeError(this.getNode(), error, i);
      out.push({ json: { error: error instanceof Error ? error.message : String(error) }, pairedItem: { item: i } });
    }
  }
  return out;
}
