import { mediaMessage } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sendEach } from '../../helpers/execute';
import { mediaSource, mediaSourceFields } from '../../helpers/media';
import { envelopeOptions, readSendSettings } from '../../helpers/options';

const show = { resource: ['message'], operation: ['sendMedia'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Media Type',
    name: 'mediaType',
    type: 'options',
    default: 'image',
    displayOptions: { show },
    options: [
      { name: 'Audio', value: 'audio' },
      { name: 'Document', value: 'document' },
      { name: 'Image', value: 'image' },
      { name: 'Video', value: 'video' },
    ],
  },
  ...mediaSourceFields('sendMedia'),
  {
    displayName: 'Caption',
    name: 'caption',
    type: 'string',
    default: '',
    description: 'Up to 1024 characters (image, video and document only)',
    displayOptions: { show: { ...show, mediaType: ['document', 'image', 'video'] } },
  },
  {
    displayName: 'File Name',
    name: 'filename',
    type: 'string',
    default: '',
    description: 'Name the document is shown with',
    displayOptions: { show: { ...show, mediaType: ['document'] } },
  },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await sendEach(
    this,
    async (i, _client, uploads) => {
      const kind = this.getNodeParameter('mediaType', i) as 'image' | 'audio' | 'video' | 'document';
      const extra: IDataObject = {};
      if (kind !== 'audio') {
        const caption = this.getNodeParameter('caption', i, '') as string;
        if (caption) extra.caption = caption;
      }
      if (kind === 'document') {
        const filename = this.getNodeParameter('filename', i, '') as string;
        if (filename) extra.filename = filename;
      }
      return mediaMessage(this.getNodeParameter('to', i) as string, kind, await mediaSource(this, i, uploads), { ...envelopeOptions(this, i), ...extra });
    },
    readSendSettings(this),
  );
}
