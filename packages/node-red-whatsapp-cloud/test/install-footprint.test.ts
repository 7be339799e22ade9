/**
 * What installing the package runs: nothing. Every package npm installs with it (its dependencies
 * and optional dependencies, and theirs, as the lockfile resolves them) comes from the npm registry
 * as it is, with no install script: no download from GitHub or elsewhere, no compiling. This is
 * what rules out a native driver like better-sqlite3, whose install script fetches a binary from
 * GitHub or builds SQLite with a C++ toolchain (issue "durable by default").
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const PACKAGE_DIR = 'packages/node-red-whatsapp-cloud';

interface LockEntry {
  version?: string;
  hasInstallScript?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

/** Where npm resolved `name` for the package at `from`: its own node_modules, then each enclosing one, then the root's. */
function resolve(name: string, from: string): string | undefined {
  for (let dir = from; ; ) {
    const candidate = `${dir}/node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    const up = dir.lastIndexOf('/node_modules/');
    if (up < 0) break;
    dir = dir.slice(0, up);
  }
  return lock.packages[`node_modules/${name}`] ? `node_modules/${name}` : undefined;
}

/** Every package a user's `npm install` of ours brings, by lockfile path. */
function installedWith(start: string): Map<string, LockEntry> {
  const found = new Map<string, LockEntry>();
  const queue = [start];
  while (queue.length) {
    const at = queue.shift()!;
    const entry = lock.packages[at];
    const names = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
    for (const name of Object.keys(names)) {
      const where = resolve(name, at);
      // An optional platform binary for another OS/CPU is in the lockfile too; one that is not
      // there at all would be a broken lockfile.
      expect({ dependency: name, of: at, resolved: where !== undefined }).toEqual({ dependency: name, of: at, resolved: true });
      if (found.has(where!)) continue;
      found.set(where!, lock.packages[where!]);
      queue.push(where!);
    }
  }
  return found;
}

test('the Node-RED package installs nothing that runs an install script (no download outside npm, no compiling)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, PACKAGE_DIR, 'package.json'), 'utf8'));
  // The lockfile is the package.json npm installed from.
  expect(lock.packages[PACKAGE_DIR].optionalDependencies ?? {}).toEqual(pkg.optionalDependencies ?? {});
  expect(lock.packages[PACKAGE_DIR].dependencies ?? {}).toEqual(pkg.dependencies ?? {});
  const installed = installedWith(PACKAGE_DIR);
  // The SQLite driver for Node 20 and its per-platform binaries are among them.
  expect([...installed.keys()]).toEqual(expect.arrayContaining(['node_modules/libsql', 'node_modules/@libsql/linux-x64-gnu', 'node_modules/@libsql/linux-arm-gnueabihf']));
  const withScripts = [...installed].filter(([, entry]) => entry.hasInstallScript).map(([where]) => where);
  expect(withScripts).toEqual([]);
});
