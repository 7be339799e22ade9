import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

/** The item's users: a comma-separated list (or an array from an expression). */
export function usersOf(ctx: IExecuteFunctions, itemIndex: number): string[] {
  const raw = ctx.getNodeParameter('users', itemIndex, '') as unknown;
  const list = Array.isArray(raw) ? raw : String(raw ?? '').split(',');
  const users = list.map((u) => String(u).trim()).filter(Boolean);
  if (users.length === 0) {
    throw new NodeOperationError(ctx.getNode(), 'No user given', { itemIndex, description: 'Put one or more phone numbers with country code in "Users", comma-separated.' });
  }
  return users;
}
