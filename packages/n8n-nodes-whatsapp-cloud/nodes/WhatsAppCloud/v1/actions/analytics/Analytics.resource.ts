import type { INodeProperties } from 'n8n-workflow';
import * as pricing from './pricing.operation';
import * as templates from './templates.operation';

export { pricing, templates };

const show = { resource: ['analytics'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show },
    options: [
      { name: 'Get Pricing', value: 'pricing', description: 'Messages delivered and their cost, one item per day and pricing category', action: 'Get pricing analytics' },
      { name: 'Get Template Stats', value: 'templates', description: 'Sent, delivered, read and clicks, one item per day and template', action: 'Get template analytics' },
    ],
    default: 'pricing',
  },
  {
    displayName: 'Start',
    name: 'start',
    type: 'dateTime',
    required: true,
    default: '',
    description: 'First day of the period (UTC). Meta keeps one year of pricing and 90 days of template analytics.',
    displayOptions: { show },
  },
  {
    displayName: 'End',
    name: 'end',
    type: 'dateTime',
    required: true,
    default: '',
    description: 'End of the period (exclusive)',
    displayOptions: { show },
  },
  ...pricing.description,
  ...templates.description,
];
