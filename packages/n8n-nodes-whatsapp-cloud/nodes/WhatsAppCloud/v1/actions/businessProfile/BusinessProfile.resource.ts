import type { INodeProperties } from 'n8n-workflow';
import * as get from './get.operation';
import * as update from './update.operation';

export { get, update };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['businessProfile'] } },
    options: [
      { name: 'Get', value: 'get', description: 'Read the number\'s business profile', action: 'Get the business profile' },
      { name: 'Update', value: 'update', description: 'Change about, address, description, email, websites or vertical', action: 'Update the business profile' },
    ],
    default: 'get',
  },
  ...get.description,
  ...update.description,
];
