import { ledgerRetentionMsFromDays, type WhatsAppError } from '@wa-cloud/core';
import { NodeOperationError, type IDataObject, type INode } from 'n8n-workflow';

/**
 * "Ledger Retention (Days)", next to "Delivery Ledger" in the Options of the action node and of the
 * trigger (declared literally in each node: n8n's lint reads properties as literals): how long a
 * delivery record written through the node is kept after its send. Core owns the range.
 */

/** The option's name as the user sees it, so a refusal names the field they must change. */
const FIELD = 'Options → Ledger Retention (Days)';

/**
 * The retention in milliseconds for core, from a node's Options; a value out of range (also one
 * set by an expression) is refused with an error naming the option and the range, before anything
 * is sent or registered.
 */
export function readLedgerRetentionMs(node: INode, options: IDataObject): number {
  try {
    return ledgerRetentionMsFromDays(options.ledgerRetentionDays, FIELD);
  } catch (error) {
    // Core throws only its own validation error here (message names the field and the range).
    const problem = error as WhatsAppError;
    throw new NodeOperationError(node, problem.message, { description: problem.hint });
  }
}
