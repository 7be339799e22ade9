import { NodeOperationError, type IExecuteFunctions } from 'n8n-workflow';

/**
 * A JSON field typed into the node (n8n hands it over as text, or already parsed from an
 * expression). Bad JSON fails naming the field and where the text breaks, never as a bare
 * SyntaxError; an empty field is `undefined`.
 */
export function parseJsonObjectField(ctx: IExecuteFunctions, itemIndex: number, displayName: string, value: unknown): Record<string, unknown> | undefined {
  let parsed = value;
  if (typeof value === 'string') {
    if (!value.trim()) return undefined;
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw new NodeOperationError(ctx.getNode(), `${displayName} is not valid JSON: ${(error as Error).message}`, {
        itemIndex,
        description: `Write ${displayName} as a JSON object, e.g. {"order_id": "A-1042"}, or build it with an expression such as {{ JSON.stringify($json.data) }}.`,
      });
    }
  }
  if (parsed === undefined || parsed === null) return undefined;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new NodeOperationError(ctx.getNode(), `${displayName} must be a JSON object ({ … }), not ${Array.isArray(parsed) ? 'an array' : typeof parsed}`, { itemIndex });
  }
  return parsed as Record<string, unknown>;
}
