import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { executionStore, toNodeError } from '../../../transport';
import { recordJson } from '../../helpers/ledger';

const show = { resource: ['message'], operation: ['getStatus'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Look Up By',
    name: 'lookUpBy',
    type: 'options',
    default: 'reference',
    displayOptions: { show },
    options: [
      { name: 'Reference', value: 'reference', description: 'Your own ID sent as Reference (Callback Data), e.g. the CRM order ID: the newest message sent with it' },
      { name: 'Message ID', value: 'messageId', description: 'The wamid a send returned' },
    ],
  },
  {
    displayName: 'Reference',
    name: 'reference',
    type: 'string',
    required: true,
    default: '',
    placeholder: 'order-1042',
    displayOptions: { show: { ...show, lookUpBy: ['reference'] } },
  },
  {
    displayName: 'Message ID',
    name: 'messageId',
    type: 'string',
    required: true,
    default: '',
    placeholder: 'wamid.HBgL…',
    displayOptions: { show: { ...show, lookUpBy: ['messageId'] } },
  },
];

/**
 * Where a sent message stands, from the delivery ledger of the node's state store (nothing goes to
 * Meta): status (accepted, sent, delivered, read, failed), when each was reported, the error of a
 * failure, pricing, and the send's template, reference and recipient. `found: false` when the
 * ledger has no such message.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const state = await executionStore(this);
  const out: INodeExecutionData[] = [];
  const items = this.getInputData();
  for (let i = 0; i < items.length; i++) {
    try {
      const by = this.getNodeParameter('lookUpBy', i) as string;
      const key = String(this.getNodeParameter(by === 'messageId' ? 'messageId' : 'reference', i) ?? '').trim();
      const record = by === 'messageId' ? await state.ledger.get(key) : await state.ledger.getByReference(key);
      out.push({ json: record ? recordJson(record) : { found: false, [by === 'messageId' ? 'messageId' : 'reference']: key }, pairedItem: { item: i } });
    } catch (error) {
      if (!this.continueOnFail()) throw toNodeError(this.getNode(), error, i);
      out.push({ json: { error: error instanceof Error ? error.message : String(error) }, pairedItem: { item: i } });
    }
  }
  return out;
}
