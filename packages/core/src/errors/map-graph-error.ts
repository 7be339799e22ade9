import { GraphApiError } from './error-classes';
import { HTTP_5XX_RULE, UNKNOWN_RULE, ruleForCode } from './error-table';

interface GraphErrorBody {
  message?: unknown;
  code?: unknown;
  error_subcode?: unknown;
  error_data?: unknown;
  error_user_msg?: unknown;
  is_transient?: unknown;
  fbtrace_id?: unknown;
}

function asInt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/** `error_data` is an object with `details` on messaging errors but a plain string on some template errors. */
function detailsOf(errorData: unknown): string | undefined {
  if (typeof errorData === 'string') return errorData;
  if (errorData && typeof errorData === 'object' && typeof (errorData as { details?: unknown }).details === 'string') {
    return (errorData as { details: string }).details;
  }
  return undefined;
}

function parseErrorBody(body: string | Buffer | undefined): GraphErrorBody | undefined {
  if (body === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(body.toString());
    const error = parsed && typeof parsed === 'object' ? (parsed as { error?: unknown }).error : undefined;
    return error && typeof error === 'object' ? (error as GraphErrorBody) : undefined;
  } catch {
    return undefined; // an HTML error page from a proxy still maps (by HTTP status), below
  }
}

/**
 * Turns a Graph API error response into a {@link GraphApiError}. The category, retryability and
 * hint come from Meta's `code` through the one error table; HTTP status is used only when the body
 * carries no code at all (not JSON, or a proxy's page).
 */
export function mapGraphError(httpStatus: number, body: string | Buffer | undefined): GraphApiError {
  const raw = body === undefined ? '' : body.toString();
  const error = parseErrorBody(body);
  const graphCode = asInt(error?.code);
  const subcode = asInt(error?.error_subcode);
  const details = detailsOf(error?.error_data) ?? (typeof error?.error_user_msg === 'string' ? error.error_user_msg : undefined);
  const metaMessage = typeof error?.message === 'string' ? error.message : undefined;

  let rule = graphCode === undefined ? undefined : ruleForCode(graphCode);
  if (!rule) rule = graphCode === undefined && httpStatus >= 500 ? HTTP_5XX_RULE : UNKNOWN_RULE;

  const summary = metaMessage ?? (graphCode === undefined ? `HTTP ${httpStatus} from the WhatsApp API` : `Graph error ${graphCode}`);
  const message = details && !summary.includes(details) ? `${summary}: ${details}` : summary;

  return new GraphApiError(message, {
    code: graphCode === undefined ? `http_${httpStatus}` : `graph_${graphCode}`,
    category: rule.category,
    retryable: rule.retryable,
    hint: rule.hint,
    status: httpStatus,
    graphCode,
    subcode,
    details,
    fbtraceId: typeof error?.fbtrace_id === 'string' ? error.fbtrace_id : undefined,
    isTransient: error?.is_transient === true,
    body: raw,
  });
}

/**
 * Maps an error item as it arrives asynchronously (`statuses[].errors[]`, `value.errors[]`): same
 * table, no HTTP status (reported as 0).
 */
export function mapWebhookError(item: { code?: unknown; title?: unknown; message?: unknown; error_data?: unknown }): GraphApiError {
  return mapGraphError(0, JSON.stringify({ error: { code: item.code, message: item.message ?? item.title, error_data: item.error_data } }));
}
