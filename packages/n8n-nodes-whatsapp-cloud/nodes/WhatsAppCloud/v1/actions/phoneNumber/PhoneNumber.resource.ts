import type { INodeProperties } from 'n8n-workflow';
import * as diagnose from './diagnose.operation';
import * as getHealth from './getHealth.operation';

export { diagnose, getHealth };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['phoneNumber'] } },
    options: [
      { name: 'Diagnose', value: 'diagnose', description: 'Check token, number, WABA subscription and webhook set-up (one item per check)', action: 'Diagnose the set up' },
      { name: 'Get Health', value: 'getHealth', description: 'Quality rating, throughput level, status and messaging limit', action: 'Get phone number health' },
    ],
    default: 'getHealth',
  },
  ...getHealth.description,
  ...diagnose.description,
];
