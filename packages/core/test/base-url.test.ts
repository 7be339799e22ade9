/**
 * Where the access token may travel (http/base-url.ts): https, or http only to loopback; no
 * credentials in the URL; bounded length; trailing slashes trimmed in linear time.
 */
import { GraphApi, isGraphOrigin, isLoopbackHostname, normalizeBaseUrl, sameBaseUrl, trimTrailingSlashes } from '../src';
import { LoopbackServer } from './support/loopback-server';

describe('base URL', () => {
  test('https anywhere, http only to loopback; the refusal names the field', () => {
    expect(normalizeBaseUrl('https://graph.facebook.com///')).toBe('https://graph.facebook.com');
    expect(normalizeBaseUrl('http://127.0.0.1:8787/')).toBe('http://127.0.0.1:8787');
    expect(normalizeBaseUrl('http://localhost:1')).toBe('http://localhost:1');
    expect(normalizeBaseUrl('http://[::1]:1')).toBe('http://[::1]:1');
    expect(() => normalizeBaseUrl('http://10.0.0.1:8080')).toThrow(/^baseUrl: http:\/\/ is only allowed to a loopback host \(got 10\.0\.0\.1\)/);
    expect(() => normalizeBaseUrl('http://127.0.0.1.evil.example')).toThrow(/only allowed to a loopback host/);
    expect(() => normalizeBaseUrl('ftp://x')).toThrow(/^baseUrl: protocol ftp: is not allowed/);
    expect(() => normalizeBaseUrl('https://user:pw@graph.facebook.com')).toThrow(/must not contain a user name or password/);
    expect(() => normalizeBaseUrl('graph.facebook.com')).toThrow(/^baseUrl: is not an absolute URL/);
    expect(() => normalizeBaseUrl('https://a/' + 'x'.repeat(3000), 'Base URL')).toThrow(/^Base URL: 3010 characters, the limit is 2048/);
  });

  test('GraphApi refuses a clear-text remote base URL before any request', () => {
    expect(() => new GraphApi({ accessToken: 't', baseUrl: 'http://example.com' })).toThrow(/baseUrl: http:\/\/ is only allowed/);
  });

  test('the token is not sent in clear: a plain-http remote host never receives a request', async () => {
    // The loopback server stands in for a remote host reached by name: only its port is used.
    const far = await LoopbackServer.start();
    try {
      const port = new URL(far.url).port;
      expect(() => new GraphApi({ accessToken: 't', baseUrl: `http://far.example:${port}` })).toThrow();
      expect(far.requests).toHaveLength(0);
    } finally {
      await far.close();
    }
  });

  test('trailing slashes: trimmed exactly, in linear time on 100 kB of slashes', () => {
    expect(trimTrailingSlashes('a//')).toBe('a');
    expect(trimTrailingSlashes('///')).toBe('');
    expect(trimTrailingSlashes('a/b')).toBe('a/b');
    const worst = 'https://a' + '/'.repeat(100_000) + 'x';
    expect(trimTrailingSlashes(worst)).toBe(worst);
    expect(trimTrailingSlashes('https://a' + '/'.repeat(100_000))).toBe('https://a');
    // Timing lives in `npm run bench` (base_url_100kb_slashes_ms); the old regex took seconds here.
  });

  test('helpers', () => {
    expect(isGraphOrigin('https://graph.facebook.com/v25.0')).toBe(true);
    expect(isGraphOrigin('http://graph.facebook.com')).toBe(false);
    expect(isGraphOrigin('https://graph.facebook.com.evil.example')).toBe(false);
    expect(isLoopbackHostname('127.9.9.9')).toBe(true);
    expect(isLoopbackHostname('10.0.0.1')).toBe(false);
    expect(sameBaseUrl('http://127.0.0.1:1/', 'http://127.0.0.1:1')).toBe(true);
    expect(sameBaseUrl(undefined, 'https://graph.facebook.com/')).toBe(true);
    expect(sameBaseUrl('http://127.0.0.1:1', 'http://127.0.0.1:2')).toBe(false);
  });
});
