import { decideRetry } from '../src/http/retry-policy';
import { mapGraphError } from '../src/errors/map-graph-error';
import { NetworkError, ValidationError } from '../src/errors/error-classes';

const graph = (code: number, status = 400) => mapGraphError(status, JSON.stringify({ error: { code, message: `(#${code})` } }));
const noJitter = () => 1;

describe('decideRetry', () => {
  test.each([130429, 131056, 4, 80007, 2, 131000, 131016, 131057, 133004])('retries Meta code %s with backoff', (code) => {
    expect(decideRetry(graph(code), 1, {}, noJitter)).toBeGreaterThan(0);
    expect(decideRetry(graph(code), 3, {}, noJitter)).toBeGreaterThan(decideRetry(graph(code), 1, {}, noJitter)!);
  });

  test.each([100, 131026, 131047, 132000, 132001, 190, 0, 131050, 131049, 131048, 368, 999999])('never retries Meta code %s', (code) => {
    expect(decideRetry(graph(code), 1)).toBeNull();
  });

  test('code 1 is retried exactly once', () => {
    expect(decideRetry(graph(1), 1)).not.toBeNull();
    expect(decideRetry(graph(1), 2)).toBeNull();
  });

  test('HTTP 5xx without a Meta code is retried for calls that may repeat (a send first turns it into delivery_unknown, see client.test.ts); 4xx is not', () => {
    expect(decideRetry(mapGraphError(502, 'Bad Gateway'), 1)).not.toBeNull();
    expect(decideRetry(mapGraphError(404, 'Not Found'), 1)).toBeNull();
  });

  test('connection errors: retried only when the request was never written, unless opted in', () => {
    expect(decideRetry(new NetworkError('ECONNREFUSED', false), 1)).not.toBeNull();
    expect(decideRetry(new NetworkError('socket hang up', true), 1)).toBeNull();
    expect(decideRetry(new NetworkError('socket hang up', true), 1, { retryDeliveryUnknown: true })).not.toBeNull();
  });

  test('validation and other errors are never retried', () => {
    expect(decideRetry(new ValidationError('to', 'bad'), 1)).toBeNull();
    expect(decideRetry(new Error('boom'), 1)).toBeNull();
  });

  test('maxAttempts bounds the tries; delays are capped and jittered', () => {
    expect(decideRetry(graph(2), 4, { maxAttempts: 5 })).not.toBeNull();
    expect(decideRetry(graph(2), 5, { maxAttempts: 5 })).toBeNull();
    expect(decideRetry(graph(2), 1, { maxAttempts: 1 })).toBeNull();
    expect(decideRetry(graph(2), 20, { maxAttempts: 99, maxDelayMs: 1000 }, noJitter)).toBe(1000);
    expect(decideRetry(graph(2), 1, { baseDelayMs: 1000 }, () => 0)).toBe(500);
  });

  test('pair rate (131056) follows Meta\'s 4^X seconds advice', () => {
    expect(decideRetry(graph(131056), 1, {}, noJitter)).toBe(1000);
    expect(decideRetry(graph(131056), 2, {}, noJitter)).toBe(4000);
    expect(decideRetry(graph(131056), 3, {}, noJitter)).toBe(16000);
  });
});
