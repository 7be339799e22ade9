import { locationMessage } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sendEach } from '../../helpers/execute';
import { envelopeOptions, readSendSettings } from '../../helpers/options';

const show = { resource: ['message'], operation: ['sendLocation'] };

export const description: INodeProperties[] = [
  { displayName: 'Latitude', name: 'latitude', type: 'number', required: true, default: 0, typeOptions: { minValue: -90, maxValue: 90, numberPrecision: 6 }, displayOptions: { show } },
  { displayName: 'Longitude', name: 'longitude', type: 'number', required: true, default: 0, typeOptions: { minValue: -180, maxValue: 180, numberPrecision: 6 }, displayOptions: { show } },
  { displayName: 'Location Name', name: 'locationName', type: 'string', default: '', description: 'Name shown on the pin', displayOptions: { show } },
  { displayName: 'Address', name: 'address', type: 'string', default: '', displayOptions: { show } },
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await sendEach(
    this,
    (i) => {
      const name = this.getNodeParameter('locationName', i, '') as string;
      const address = this.getNodeParameter('address', i, '') as string;
      return locationMessage(
        this.getNodeParameter('to', i) as string,
        {
          latitude: this.getNodeParameter('latitude', i) as number,
          longitude: this.getNodeParameter('longitude', i) as number,
          ...(name ? { name } : {}),
          ...(address ? { address } : {}),
        },
        envelopeOptions(this, i),
      );
    },
    readSendSettings(this),
  );
}
