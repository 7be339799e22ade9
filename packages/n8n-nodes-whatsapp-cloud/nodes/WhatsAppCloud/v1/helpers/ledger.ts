import type { DeliveryRecord, LedgerFilters } from '@wa-cloud/core';
import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

/** A ledger record as an n8n item (dates as ISO strings, `found: true`). */
export function recordJson(record: DeliveryRecord): IDataObject {
  return { found: true, ...(JSON.parse(JSON.stringify(record)) as IDataObject) };
}

/** A date filter typed by the user (dateTime field or an expression); empty means none. */
function dateOf(ctx: IExecuteFunctions, name: string, value: unknown, itemIndex: number): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) {
    throw new NodeOperationError(ctx.getNode(), `Filters → ${name}: "${String(value)}" is not a date`, {
      description: 'Give an ISO date such as 2026-12-01T00:00:00Z, or pick one.',
      itemIndex,
    });
  }
  return date;
}

/** Core's ledger filters from the node's "Filters" collection of item `itemIndex`. */
export function readLedgerFilters(ctx: IExecuteFunctions, itemIndex: number): LedgerFilters {
  const raw = ctx.getNodeParameter('filters', itemIndex, {}) as IDataObject;
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
  const filters: LedgerFilters = {};
  const statuses = Array.isArray(raw.status) ? (raw.status as string[]) : text(raw.status) ? [text(raw.status)!] : [];
  if (statuses.length) filters.status = statuses;
  if (text(raw.template)) filters.template = text(raw.template);
  if (text(raw.reference)) filters.reference = text(raw.reference);
  if (text(raw.recipient)) filters.recipient = text(raw.recipient);
  const since = dateOf(ctx, 'Sent After', raw.since, itemIndex);
  if (since) filters.since = since;
  const until = dateOf(ctx, 'Sent Before', raw.until, itemIndex);
  if (until) filters.until = until;
  return filters;
}
