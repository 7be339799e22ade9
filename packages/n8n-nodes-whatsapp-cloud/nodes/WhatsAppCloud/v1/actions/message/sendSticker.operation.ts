import { mediaMessage } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { sendEach } from '../../helpers/execute';
import { mediaSource, mediaSourceFields } from '../../helpers/media';
import { envelopeOptions, readSendSettings } from '../../helpers/options';

/** Stickers are WebP (static ≤ 100 KB, animated ≤ 500 KB); core checks type and size on upload. */
export const description: INodeProperties[] = [...mediaSourceFields('sendSticker')];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await sendEach(
    this,
    async (i, _client, uploads) => mediaMessage(this.getNodeParameter('to', i) as string, 'sticker', await mediaSource(this, i, uploads), envelopeOptions(this, i)),
    readSendSettings(this),
  );
}
