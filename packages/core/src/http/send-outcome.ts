import { GraphApiError, NetworkError } from '../errors/error-classes';

/**
 * A message send answered with HTTP 5xx and no Meta error code did not get its answer from Meta but
 * from something in between (a proxy, a load balancer, a gateway timeout), which may have failed
 * after Meta accepted the message. Meta's send API has no idempotency key, so this is the same
 * ambiguous case as a connection lost after the request was written: `delivery_unknown`, retried
 * only with `retry.retryDeliveryUnknown` (at-least-once). Other errors are returned unchanged.
 */
export function sendOutcomeOf(error: unknown): unknown {
  if (!(error instanceof GraphApiError) || error.graphCode !== undefined || error.status < 500) return error;
  return new NetworkError(
    `The WhatsApp API answered HTTP ${error.status} without a WhatsApp error code (a proxy or gateway answered, not Meta), so Meta may or may not have accepted the message`,
    true,
    error,
    `A server between this node and Meta failed (HTTP ${error.status}) after the message was sent, so Meta may have accepted it: check the status webhook for this message before sending it again (biz_opaque_callback_data helps find it).`,
  );
}
