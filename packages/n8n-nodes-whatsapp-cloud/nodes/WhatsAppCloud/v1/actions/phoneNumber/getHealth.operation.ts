import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

export const description: INodeProperties[] = [];

/** Plain JSON for n8n (dates as ISO strings, no undefined). */
export function plain(value: unknown): IDataObject {
  return JSON.parse(JSON.stringify(value ?? {})) as IDataObject;
}

/**
 * Core's health snapshot of the credential's number: quality rating, tier, status, throughput level,
 * messaging limit, name status, code verification, `advice[]` in plain words for every value that is
 * not green, and the quality guard's view (`guard`). The rating and tier are recorded in the shared
 * quality guard (a YELLOW or RED rating slows every send from the number at once).
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client) => {
      const snapshot = plain(await client.health());
      delete snapshot.raw;
      const guard = snapshot.guard as IDataObject | undefined;
      // The current rating and tier up front (the guard's view when it has one, else Meta's values).
      const rating = guard?.rating ?? snapshot.qualityRating;
      const tier = guard?.tier ?? snapshot.messagingLimit;
      return { ...(rating !== undefined ? { rating } : {}), ...(tier !== undefined ? { tier } : {}), ...snapshot };
    },
    { mode: 'sequential' },
  );
}
