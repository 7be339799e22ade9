import type { INodeProperties } from 'n8n-workflow';
import * as deregister from './deregister.operation';
import * as diagnose from './diagnose.operation';
import * as getHealth from './getHealth.operation';
import * as register from './register.operation';

export { deregister, diagnose, getHealth, register };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['phoneNumber'] } },
    options: [
      { name: 'Deregister', value: 'deregister', description: 'Take the number off the Cloud API', action: 'Deregister the phone number' },
      { name: 'Diagnose', value: 'diagnose', description: 'Check token, number, WABA subscription and webhook set-up (one item per check)', action: 'Diagnose the set up' },
      { name: 'Get Health', value: 'getHealth', description: 'Quality rating, tier, throughput level, messaging limit, name and code verification status, with advice', action: 'Get phone number health' },
      { name: 'Register', value: 'register', description: 'Set the two-step verification PIN, register the number, then check its status', action: 'Register the phone number' },
    ],
    default: 'getHealth',
  },
  ...getHealth.description,
  ...diagnose.description,
  ...register.description,
  ...deregister.description,
];
