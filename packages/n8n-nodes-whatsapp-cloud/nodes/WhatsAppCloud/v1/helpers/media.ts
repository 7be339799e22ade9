import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { DeferredUploads } from './deferred-uploads';

/** Fields that say where a media message's file comes from. */
export function mediaSourceFields(operation: string): INodeProperties[] {
  const show = { resource: ['message'], operation: [operation] };
  return [
    {
      displayName: 'Source',
      name: 'mediaSource',
      type: 'options',
      default: 'link',
      displayOptions: { show },
      options: [
        { name: 'Binary File (Upload First)', value: 'binary', description: 'Upload a binary property of the input item, then send it by its media ID' },
        { name: 'Link', value: 'link', description: 'An https URL Meta downloads the file from' },
        { name: 'Media ID', value: 'id', description: 'A media ID from an earlier upload' },
      ],
    },
    {
      displayName: 'Link',
      name: 'mediaLink',
      type: 'string',
      required: true,
      default: '',
      placeholder: 'https://example.com/file.jpg',
      displayOptions: { show: { ...show, mediaSource: ['link'] } },
    },
    {
      displayName: 'Media ID',
      name: 'mediaId',
      type: 'string',
      required: true,
      default: '',
      displayOptions: { show: { ...show, mediaSource: ['id'] } },
    },
    {
      displayName: 'Input Binary Field',
      name: 'binaryPropertyName',
      type: 'string',
      required: true,
      default: 'data',
      hint: 'The name of the input binary field containing the file to send',
      displayOptions: { show: { ...show, mediaSource: ['binary'] } },
    },
  ];
}

/**
 * `{ link }` or `{ id }` for item `itemIndex`. A binary file gets a placeholder ID: it is uploaded
 * (through core) only when the message is really sent, never for an item an earlier try already sent.
 */
export async function mediaSource(ctx: IExecuteFunctions, itemIndex: number, uploads: DeferredUploads): Promise<{ id: string } | { link: string }> {
  const source = ctx.getNodeParameter('mediaSource', itemIndex) as string;
  if (source === 'link') return { link: (ctx.getNodeParameter('mediaLink', itemIndex) as string).trim() };
  if (source === 'id') return { id: (ctx.getNodeParameter('mediaId', itemIndex) as string).trim() };
  const property = ctx.getNodeParameter('binaryPropertyName', itemIndex) as string;
  const binary = ctx.helpers.assertBinaryData(itemIndex, property);
  const data = await ctx.helpers.getBinaryDataBuffer(itemIndex, property);
  return { id: uploads.placeholder({ data, mimeType: binary.mimeType, ...(binary.fileName ? { filename: binary.fileName } : {}) }) };
}
