/**
 * Prerequisites that live outside npm (Chromium, Redis, PostgreSQL). A missing one FAILS its tests
 * with the command that installs or starts it; only an explicit WA_SKIP_* variable turns them into
 * tests the runner reports as skipped (never into passes).
 */
import { existsSync } from 'node:fs';

/** Debian's Chromium (driven by playwright-core); CHROMIUM_PATH overrides it. */
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const INSTALL_CHROMIUM = 'apt-get install -y chromium (as root; .ci/run does this)';

/** WA_SKIP_BROWSER=1: the browser tests are registered with test.skip, so the summary counts them as skipped. */
export const SKIP_BROWSER = process.env.WA_SKIP_BROWSER === '1';

/** `test`, or `test.skip` under WA_SKIP_BROWSER=1 (with one loud line saying what was not checked). */
export function browserTest(file: string): jest.It {
  if (!SKIP_BROWSER) return test;
  console.warn(`\n!!! WA_SKIP_BROWSER=1: the browser tests of ${file} are SKIPPED (reported as skipped by jest). !!!\n`);
  return test.skip;
}

/** Throws (failing the test) when Chromium is missing, naming the install command. */
export function requireChromium(): string {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it with \`${INSTALL_CHROMIUM}\`, set CHROMIUM_PATH, or set WA_SKIP_BROWSER=1 to have the browser tests reported as skipped.`);
  }
  return CHROMIUM;
}

export const START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no (Debian: apt-get install -y redis-server)';
export const START_POSTGRES =
  'apt-get install -y postgresql && pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, with trust auth for 127.0.0.1 and a database `test` (or set DATABASE_URL)';

/** WA_SKIP_REDIS=1: Redis tests are registered with test.skip (counted as skipped, never passed). */
export const SKIP_REDIS = process.env.WA_SKIP_REDIS === '1';
