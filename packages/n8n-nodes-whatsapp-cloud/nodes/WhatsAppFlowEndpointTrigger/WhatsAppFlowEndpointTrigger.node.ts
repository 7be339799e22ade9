import { handleFlowEndpointPost } from '@wa-cloud/core';
import {
  NodeConnectionTypes,
  type IDataObject,
  type INodeType,
  type INodeTypeDescription,
  type IWebhookFunctions,
  type IWebhookResponseData,
} from 'n8n-workflow';
import { flowPrivateKeyOf, getCredentials } from '../WhatsAppCloud/transport';
import { credentialTest } from '../WhatsAppCloud/v1/methods';

/**
 * The data endpoint of a WhatsApp Flow: WhatsApp posts an encrypted request each time a Flow
 * screen needs data (INIT, BACK, data_exchange); the workflow decides the next screen and answers
 * through the WhatsApp Cloud node's "Flow → Respond to Flow Request" (n8n's "respond with a node"
 * mode, as with the Respond to Webhook node). Core decrypts and checks everything first: a bad
 * signature is answered 432, an undecryptable request 421 (WhatsApp then refetches the public key),
 * a health-check `ping` and a client error notification are answered here and start nothing.
 */
export class WhatsAppFlowEndpointTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'WhatsApp Flow Endpoint Trigger',
    name: 'whatsAppFlowEndpointTrigger',
    icon: { light: 'file:whatsapp-cloud.svg', dark: 'file:whatsapp-cloud.dark.svg' },
    group: ['trigger'],
    version: 1,
    description: 'Answers the encrypted data requests of a WhatsApp Flow (its endpoint): one item per screen request',
    defaults: { name: 'WhatsApp Flow Endpoint Trigger' },
    inputs: [],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: 'whatsAppCloudApi', required: true, testedBy: 'whatsAppCloudApiTest' }],
    webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'responseNode', path: 'whatsapp-flow' }],
    properties: [
      {
        displayName:
          'Set this node\'s Production URL as the Flow\'s endpoint (WhatsApp Manager → Flows, or endpoint_uri). The credentials need the App Secret and the Flow Endpoint Private Key whose public key is uploaded for the phone number. End every path of the workflow with WhatsApp Cloud → Flow → Respond to Flow Request: WhatsApp waits for that answer (at most 10 seconds).',
        name: 'notice',
        type: 'notice',
        default: '',
      },
    ],
  };

  methods = { credentialTest };

  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    const req = this.getRequestObject();
    const res = this.getResponseObject();
    const credentials = await getCredentials(this);
    const rawBody = (req as unknown as { rawBody?: Buffer }).rawBody;
    const result = handleFlowEndpointPost({
      rawBody: Buffer.isBuffer(rawBody) ? rawBody : Buffer.alloc(0),
      headers: req.headers,
      appSecret: credentials.appSecret,
      privateKey: flowPrivateKeyOf(credentials),
    });
    if (result.type === 'reply') {
      if (result.error) {
        // 432 and 421 are the caller's problem (forged or for another key); 500 is our configuration.
        const log = result.status >= 500 ? this.logger.error.bind(this.logger) : this.logger.warn.bind(this.logger);
        log(`WhatsApp Flow Endpoint: refused a request (${result.status}): ${result.error.message}. ${result.error.hint}`);
      } else if (result.notification) {
        this.logger.warn(`WhatsApp Flow Endpoint: WhatsApp reported a client error for flow token ${result.notification.flowToken ?? '?'}: ${result.notification.error ?? ''} ${result.notification.errorMessage ?? ''}`.trim());
      }
      res.status(result.status).type(result.contentType).send(result.body);
      return { noWebhookResponse: true };
    }
    const json: IDataObject = {
      ...(result.request as unknown as IDataObject),
      // What the respond step needs to encrypt the answer: the wrapped key and IV as WhatsApp sent
      // them (only the private key in the credentials opens them), never the AES key itself.
      flowSession: { ...result.sessionToken },
    };
    return { workflowData: [[{ json }]] };
  }
}
