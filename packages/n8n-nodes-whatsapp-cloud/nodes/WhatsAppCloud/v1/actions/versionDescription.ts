import { NodeConnectionTypes, type INodeTypeDescription } from 'n8n-workflow';
import * as media from './media/Media.resource';
import * as message from './message/Message.resource';
import * as phoneNumber from './phoneNumber/PhoneNumber.resource';
import * as template from './template/Template.resource';
import * as webhook from './webhook/Webhook.resource';

export const versionDescription: INodeTypeDescription = {
  displayName: 'WhatsApp Cloud',
  name: 'whatsAppCloud',
  icon: { light: 'file:whatsapp-cloud.svg', dark: 'file:whatsapp-cloud.dark.svg' },
  group: ['output'],
  version: 1,
  subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
  description: 'Send WhatsApp messages through the Cloud API: paced, window-aware, with errors explained',
  defaults: { name: 'WhatsApp Cloud' },
  usableAsTool: true,
  inputs: [NodeConnectionTypes.Main],
  outputs: [NodeConnectionTypes.Main],
  credentials: [{ name: 'whatsAppCloudApi', required: true, testedBy: 'whatsAppCloudApiTest' }],
  // Send and Wait resumes through these (n8n's waiting webhook, called by the trigger with the answer).
  webhooks: [
    { name: 'default', httpMethod: 'GET', responseMode: 'onReceived', responseData: '', path: '={{ $nodeId }}', restartWebhook: true, isFullPath: true },
    { name: 'default', httpMethod: 'POST', responseMode: 'onReceived', responseData: '', path: '={{ $nodeId }}', restartWebhook: true, isFullPath: true },
  ],
  properties: [
    {
      displayName: 'Resource',
      name: 'resource',
      type: 'options',
      noDataExpression: true,
      options: [
        { name: 'Media', value: 'media' },
        { name: 'Message', value: 'message' },
        { name: 'Phone Number', value: 'phoneNumber' },
        { name: 'Template', value: 'template' },
        { name: 'Webhook', value: 'webhook' },
      ],
      default: 'message',
    },
    ...message.description,
    ...media.description,
    ...template.description,
    ...phoneNumber.description,
    ...webhook.description,
  ],
};
