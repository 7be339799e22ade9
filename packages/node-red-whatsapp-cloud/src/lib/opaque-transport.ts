import { NetworkError, UndiciTransport, type Transport, type TransportRequest, type TransportResponse } from './core';

/** The one message every failure of a base URL typed in the editor gets. */
export const OPAQUE_FAILURE = 'The base URL did not answer like the Graph API';

/**
 * A transport for base URLs typed in the editor (not saved by the operator). Whether a host
 * refused the connection, timed out or answered with a page of its own, the caller sees the same
 * error, naming no host: the admin routes must not become a way to map the internal network.
 * A JSON answer is passed on (the Graph API always answers JSON, errors included).
 */
export class OpaqueTransport implements Transport {
  private readonly inner = new UndiciTransport({ timeoutMs: 15_000 });

  async request(req: TransportRequest): Promise<TransportResponse> {
    let response: TransportResponse;
    try {
      response = await this.inner.request(req);
    } catch {
      throw new NetworkError(OPAQUE_FAILURE, false);
    }
    const type = (response.headers['content-type'] ?? '').toLowerCase();
    if (!type.includes('json')) throw new NetworkError(OPAQUE_FAILURE, false);
    return response;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
