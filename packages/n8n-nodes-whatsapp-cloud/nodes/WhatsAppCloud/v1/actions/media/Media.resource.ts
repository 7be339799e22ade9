import type { INodeProperties } from 'n8n-workflow';
import * as deleteMedia from './delete.operation';
import * as download from './download.operation';
import * as upload from './upload.operation';

export { deleteMedia as delete, download, upload };

export const description: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['media'] } },
    options: [
      { name: 'Delete', value: 'delete', description: 'Delete uploaded media', action: 'Delete media' },
      { name: 'Download', value: 'download', description: 'Download media into a binary field (one step)', action: 'Download media' },
      { name: 'Upload', value: 'upload', description: 'Upload a binary file and get its media ID', action: 'Upload media' },
    ],
    default: 'download',
  },
  ...upload.description,
  ...download.description,
  ...deleteMedia.description,
];
