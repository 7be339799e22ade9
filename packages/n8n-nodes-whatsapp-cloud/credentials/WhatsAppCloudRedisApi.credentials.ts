import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * The shared store for n8n queue mode (or several n8n instances): the Redis where every process
 * keeps each number's send budget, the 24-hour windows, the seen webhook events and the
 * Send-and-Wait questions. Its own credential, because n8n's lint forbids reusing the built-in
 * Redis credential in a community package. Tested by the nodes (`testedBy`): a round trip to Redis.
 */
export class WhatsAppCloudRedisApi implements ICredentialType {
  name = 'whatsAppCloudRedisApi';

  displayName = 'WhatsApp Cloud Shared Store (Redis)';

  documentationUrl = 'https://github.com/wa-cloud/wa-cloud/tree/main/packages/n8n-nodes-whatsapp-cloud#scaling-out-queue-mode';

  icon: Icon = { light: 'file:whatsapp-cloud.svg', dark: 'file:whatsapp-cloud.dark.svg' };

  properties: INodeProperties[] = [
    { displayName: 'Host', name: 'host', type: 'string', default: 'localhost', required: true },
    { displayName: 'Port', name: 'port', type: 'number', default: 6379, required: true },
    {
      displayName: 'User',
      name: 'user',
      type: 'string',
      default: '',
      description: 'Redis 6 ACL user name; leave empty for the default user',
    },
    { displayName: 'Password', name: 'password', type: 'string', typeOptions: { password: true }, default: '' },
    { displayName: 'Database Number', name: 'database', type: 'number', default: 0 },
    { displayName: 'SSL/TLS', name: 'tls', type: 'boolean', default: false, description: 'Whether to connect with TLS (rediss://)' },
    {
      displayName: 'Key Prefix',
      name: 'keyPrefix',
      type: 'string',
      default: 'wa:',
      description: 'Put in front of every key. Every n8n process (main, workers, webhook processes) that sends from the same numbers must use the same prefix.',
    },
  ];
}
