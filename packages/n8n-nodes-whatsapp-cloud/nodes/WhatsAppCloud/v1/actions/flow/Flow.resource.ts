import type { INodeProperties } from 'n8n-workflow';
import * as getPreview from './getPreview.operation';
import * as list from './list.operation';
import * as publish from './publish.operation';
import * as respond from './respond.operation';

export { getPreview, list, publish, respond };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['flow'] } },
    options: [
      { name: 'Get Many', value: 'list', description: 'List the Flows of the WhatsApp Business Account', action: 'Get many flows' },
      { name: 'Get Preview URL', value: 'getPreview', description: 'Get a web link that shows the Flow as users will see it', action: 'Get a flow preview URL' },
      { name: 'Publish', value: 'publish', description: 'Publish a draft Flow (it can then be sent; no more edits)', action: 'Publish a flow' },
      {
        name: 'Respond to Flow Request',
        value: 'respond',
        description: 'Answer the request that started this workflow (WhatsApp Flow Endpoint Trigger): next screen, error or completion',
        action: 'Respond to a flow request',
      },
    ],
    default: 'respond',
  },
  ...respond.description,
  ...getPreview.description,
  ...publish.description,
];
