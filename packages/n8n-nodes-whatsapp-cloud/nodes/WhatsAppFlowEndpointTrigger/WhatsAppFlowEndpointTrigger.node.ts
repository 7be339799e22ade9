import { getFlowEndpoint, handleFlowEndpointPost, setFlowEndpoint } from '@wa-cloud/core';
import {
  NodeConnectionTypes,
  type IDataObject,
  type IHookFunctions,
  type INodeType,
  type INodeTypeDescription,
  type IWebhookFunctions,
  type IWebhookResponseData,
} from 'n8n-workflow';
import { flowPrivateKeyOf, getCredentials, withGraph } from '../WhatsAppCloud/transport';
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
    subtitle: '={{ $parameter["flowId"] ? "Flow " + $parameter["flowId"] : "Flow endpoint" }}',
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
      {
        displayName: 'Register as Endpoint of Flow ID',
        name: 'flowId',
        type: 'string',
        default: '',
        placeholder: '1234567890123456',
        description:
          'Optional. When set, publishing the workflow makes this trigger\'s URL the endpoint of that Flow (endpoint_uri). Leave empty to set the endpoint in WhatsApp Manager yourself. Unpublishing leaves the endpoint as it is: a Flow without one stops working.',
      },
    ],
  };

  methods = { credentialTest };

  webhookMethods = {
    default: {
      /** True when no Flow is to be registered, or the Flow already calls this URL. */
      async checkExists(this: IHookFunctions): Promise<boolean> {
        const flowId = String(this.getNodeParameter('flowId', '') ?? '').trim();
        if (!flowId) return true;
        const credentials = await getCredentials(this);
        const current = await withGraph(credentials, (graph) => getFlowEndpoint(graph, flowId));
        return current === this.getNodeWebhookUrl('default');
      },
      /** Points the Flow's endpoint_uri at this trigger. */
      async create(this: IHookFunctions): Promise<boolean> {
        const flowId = String(this.getNodeParameter('flowId', '') ?? '').trim();
        if (!flowId) return true;
        const credentials = await getCredentials(this);
        await withGraph(credentials, (graph) => setFlowEndpoint(graph, flowId, this.getNodeWebhookUrl('default')!));
        return true;
      },
      /** Leaves the endpoint: clearing it would break a published Flow until another endpoint is set. */
      async delete(this: IHookFunctions): Promise<boolean> {
        return true;
      },
    },
  };

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
