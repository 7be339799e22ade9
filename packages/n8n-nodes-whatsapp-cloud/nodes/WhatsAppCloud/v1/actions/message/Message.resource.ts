import type { INodeProperties } from 'n8n-workflow';
import { qualityGuardField, recipientField, sendOptionsField } from '../../helpers/options';
import * as getMany from './getMany.operation';
import * as getStatus from './getStatus.operation';
import * as getSummary from './getSummary.operation';
import * as markAsRead from './markAsRead.operation';
import * as sendAndWait from './sendAndWait.operation';
import * as sendChoices from './sendChoices.operation';
import * as sendContacts from './sendContacts.operation';
import * as sendInteractive from './sendInteractive.operation';
import * as sendCallPermissionRequest from './sendCallPermissionRequest.operation';
import * as sendLocation from './sendLocation.operation';
import * as sendMedia from './sendMedia.operation';
import * as sendReaction from './sendReaction.operation';
import * as sendSticker from './sendSticker.operation';
import * as sendTemplate from './sendTemplate.operation';
import * as sendText from './sendText.operation';

export { getMany, getStatus, getSummary, markAsRead, sendAndWait, sendCallPermissionRequest, sendChoices, sendContacts, sendInteractive, sendLocation, sendMedia, sendReaction, sendSticker, sendTemplate, sendText };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['message'] } },
    options: [
      { name: 'Get Many', value: 'getMany', description: 'List sent messages from the delivery ledger, filtered by status, template, reference, recipient or time', action: 'Get many messages' },
      { name: 'Get Status', value: 'getStatus', description: 'Where a sent message stands (sent, delivered, read, failed), by message ID or by your reference', action: 'Get the status of a message' },
      { name: 'Get Summary', value: 'getSummary', description: 'Per template and day: sent, delivered, read, failed and billable messages', action: 'Get a delivery summary' },
      { name: 'Mark as Read', value: 'markAsRead', description: 'Mark a received message as read, optionally with a typing indicator', action: 'Mark a message as read' },
      { name: 'Send and Wait for Response', value: 'sendAndWait', description: 'Ask with reply buttons and continue the workflow with the answer', action: 'Send message and wait for response' },
      { name: 'Send Call Permission Request', value: 'sendCallPermissionRequest', description: 'Ask the user for permission to call them (WhatsApp Business Calling); the answer arrives on the trigger', action: 'Send a call permission request' },
      { name: 'Send Choices', value: 'sendChoices', description: 'Ask a question with 1–10 choices (buttons for up to 3, a list above)', action: 'Send choices' },
      { name: 'Send Contacts', value: 'sendContacts', description: 'Send one or more contact cards', action: 'Send contacts' },
      { name: 'Send Interactive', value: 'sendInteractive', description: 'Send reply buttons, a list, a URL button, a flow or a location request', action: 'Send an interactive message' },
      { name: 'Send Location', value: 'sendLocation', description: 'Send a map pin', action: 'Send a location' },
      { name: 'Send Media', value: 'sendMedia', description: 'Send an image, video, audio or document', action: 'Send media' },
      { name: 'Send Reaction', value: 'sendReaction', description: 'React to a message with an emoji', action: 'Send a reaction' },
      { name: 'Send Sticker', value: 'sendSticker', description: 'Send a WebP sticker', action: 'Send a sticker' },
      { name: 'Send Template', value: 'sendTemplate', description: 'Send an approved template (allowed at any time)', action: 'Send a template' },
      { name: 'Send Text', value: 'sendText', description: 'Send a text message (inside the 24-hour window)', action: 'Send a text message' },
    ],
    default: 'sendTemplate',
  },
  recipientField,
  ...sendTemplate.description,
  ...sendText.description,
  ...sendMedia.description,
  ...sendSticker.description,
  ...sendInteractive.description,
  ...sendChoices.description,
  ...sendLocation.description,
  ...sendCallPermissionRequest.description,
  ...sendContacts.description,
  ...sendReaction.description,
  ...markAsRead.description,
  ...getStatus.description,
  ...getMany.description,
  ...getSummary.description,
  ...sendAndWait.description,
  sendOptionsField,
  qualityGuardField,
];
