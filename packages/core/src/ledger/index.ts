/** The delivery ledger: every send remembered, its statuses joined to it. */
export {
  DeliveryLedger,
  DEFAULT_LEDGER_RETENTION_MS,
  MIN_LEDGER_RETENTION_MS,
  MAX_LEDGER_RETENTION_MS,
  MAX_LEDGER_QUERY_LIMIT,
  isLedgerRetentionMs,
  ledgerRetentionMsFromDays,
  LEDGER_RETENTION_DAYS_FIELD,
  type DeliveryLedgerOptions,
  type LedgerFilters,
} from './ledger';
export { MemoryLedgerStore, type MemoryLedgerStoreOptions } from './memory-ledger-store';
export { RedisLedgerStore, type RedisLedgerStoreOptions } from './redis-ledger-store';
export { SqliteLedgerStore, type SqliteLedgerStoreOptions } from './sqlite-ledger-store';
export { mergeSend, mergeStatus, recipientKey, recordToRow, rowToRecord, recordTime, type LedgerRow } from './merge';
export { summarize, matches, isBillable } from './query';
export { joinStatuses } from './join';
export {
  FailedMessageResender,
  DEFAULT_MAX_RESENDS,
  MAX_RESENDS_LIMIT,
  DEFAULT_RESEND_CHECK_MS,
  type FailedMessageResenderOptions,
  type ResendOutcome,
  type ResendSender,
} from './resender';
export { MemoryResendStore, type ResendJob, type ResendStore } from './resend-store';
export { SqliteResendStore } from './sqlite-resend-store';
export { RedisResendStore } from './redis-resend-store';
export {
  STATUS_RANK,
  DELIVERY_STATUSES,
  statusRank,
  type DeliveryStatus,
  type DeliveryRecord,
  type DeliveryTemplate,
  type DeliveryPricing,
  type JoinedStatus,
  type LedgerSend,
  type LedgerStatusUpdate,
  type LedgerQuery,
  type LedgerStore,
  type LedgerSummaryRow,
} from './types';
