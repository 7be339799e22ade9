/** `redisAddress`: what status lines and errors show of a Redis URL — never its user or password. */
import { redisAddress } from '../src/redis/connection';

describe('redisAddress', () => {
  test.each([
    ['redis://app:s3cret@10.0.0.1:6380/2', '10.0.0.1:6380'],
    ['rediss://:s3cret@redis.internal', 'redis.internal:6379'],
    // No `//`: the URL parser puts "s3cret@10.0.0.1" in the path; it used to be returned as is.
    ['redis:s3cret@10.0.0.1', '10.0.0.1:6379'],
    ['redis:user:s3cret@10.0.0.1:7000', '10.0.0.1:7000'],
    ['redis:/s3cret@', 'an unparsable URL'],
  ])('%s → %s', (url, address) => {
    expect(redisAddress(url)).toBe(address);
    expect(redisAddress(url)).not.toContain('s3cret');
  });
});
