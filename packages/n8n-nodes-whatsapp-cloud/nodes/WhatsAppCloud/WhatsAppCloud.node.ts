import type { INodeTypeBaseDescription, IVersionedNodeType } from 'n8n-workflow';
import { VersionedNodeType } from 'n8n-workflow';
import { WhatsAppCloudV1 } from './v1/WhatsAppCloudV1.node';

export class WhatsAppCloud extends VersionedNodeType {
  constructor() {
    const baseDescription: INodeTypeBaseDescription = {
      displayName: 'WhatsApp Cloud',
      name: 'whatsAppCloud',
      icon: { light: 'file:whatsapp-cloud.svg', dark: 'file:whatsapp-cloud.dark.svg' },
      group: ['output'],
      subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
      description: 'Send WhatsApp messages through the Cloud API: paced, window-aware, with errors explained',
      defaultVersion: 1,
    };

    const nodeVersions: IVersionedNodeType['nodeVersions'] = {
      1: new WhatsAppCloudV1(baseDescription),
    };

    super(nodeVersions, baseDescription);
  }
}
