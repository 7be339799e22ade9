import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { executionStore, toNodeError } from '../../../transport';
import { usersOf } from './users';
import { waitingTable } from '../../../../shared/waiting';

export const description: INodeProperties[] = [];

/**
 * Removes every trace of the item's users from the node's state store (embedded file, memory or
 * Redis): windows, quality records, seen webhook events, delivery records, Send and Wait questions.
 * Nothing goes to Meta.
 * A marketing opt-out is kept under a hashed id only (README "Forgetting a user").
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const state = await executionStore(this);
  // Send and Wait questions in the file (asked before a restart too) go with their user.
  try {
    if (state.database && !state.problem) waitingTable(state);
  } catch {
    // the file fails: core reports it; the rest of the forget still runs
  }
  const out: INodeExecutionData[] = [];
  const items = this.getInputData();
  for (let i = 0; i < items.length; i++) {
    try {
      const users = usersOf(this, i);
      const result = await state.forgetUser(users);
      out.push({ json: { users, store: state.kind, ...result }, pairedItem: { item: i } });
    } catch (error) {
      if (!this.continueOnFail()) throw toNodeError(this.getNode(), error, i);
      out.push({ json: { error: error instanceof Error ? error.message : String(error) }, pairedItem: { item: i } });
    }
  }
  return out;
}
