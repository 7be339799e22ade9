// Makes dist/ self-contained, as n8n loads community packages: one CommonJS file per node and
// credential entry with @wa-cloud/core (and its undici, zod, bottleneck) inlined and only
// n8n-workflow left to n8n. Core is bundled from its TypeScript source so unused parts (the Redis
// stores and their client) are shaken out. Process-wide state (limiters, window tracker) still
// crosses bundles: core keeps it on globalThis under Symbol.for keys.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

const entries = {
  'credentials/WhatsAppCloudApi.credentials': 'credentials/WhatsAppCloudApi.credentials.ts',
  'credentials/WhatsAppCloudRedisApi.credentials': 'credentials/WhatsAppCloudRedisApi.credentials.ts',
  'nodes/WhatsAppCloud/WhatsAppCloud.node': 'nodes/WhatsAppCloud/WhatsAppCloud.node.ts',
  'nodes/WhatsAppCloudTrigger/WhatsAppCloudTrigger.node': 'nodes/WhatsAppCloudTrigger/WhatsAppCloudTrigger.node.ts',
  'nodes/WhatsAppCloudHighVolumeTrigger/WhatsAppCloudHighVolumeTrigger.node': 'nodes/WhatsAppCloudHighVolumeTrigger/WhatsAppCloudHighVolumeTrigger.node.ts',
  'nodes/WhatsAppFlowEndpointTrigger/WhatsAppFlowEndpointTrigger.node': 'nodes/WhatsAppFlowEndpointTrigger/WhatsAppFlowEndpointTrigger.node.ts',
};

/**
 * Core's modules only declare things (its shared state is created on first use), so an import of
 * one name need not pull in the rest; core's package.json does not say so, this plugin does.
 */
function coreSideEffectFree() {
  const coreSrc = join(root, '..', 'core', 'src');
  return {
    name: 'core-side-effect-free',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.inner) return undefined;
        const fromCore = args.importer.startsWith(coreSrc) && args.path.startsWith('.');
        const isCore = args.path === join(coreSrc, 'index.ts');
        if (!fromCore && !isCore) return undefined;
        const resolved = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: { inner: true } });
        if (resolved.errors.length) return { errors: resolved.errors };
        return { path: resolved.path, sideEffects: false };
      });
    },
  };
}

for (const dir of ['credentials', 'nodes']) rmSync(join(dist, dir), { recursive: true, force: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(Object.entries(entries).map(([out, src]) => [out, join(root, src)])),
  outdir: dist,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // node:sqlite is loaded with process.getBuiltinModule; libsql is never a dependency here (n8n runs on Node 24).
  external: ['n8n-workflow', 'libsql'],
  alias: { '@wa-cloud/core': join(root, '..', 'core', 'src', 'index.ts') },
  sourcemap: false,
  legalComments: 'inline',
  logLevel: 'warning',
  metafile: true,
  plugins: [coreSideEffectFree()],
});

const bundled = Object.keys(result.metafile.inputs);
if (bundled.some((p) => p.includes('node_modules/ioredis'))) {
  // Core's client imports its Redis support statically, so ioredis (pure JS) travels along.
  void 0;
}

// Icons next to each node and credential file (n8n resolves `file:` icons relative to them),
// and the codex files next to their nodes.
const icons = ['whatsapp-cloud.svg', 'whatsapp-cloud.dark.svg'];
// dist/nodes/ too: the versioned node's v1 description says `file:../` (relative to its source file).
for (const target of ['nodes', 'nodes/WhatsAppCloud', 'nodes/WhatsAppCloudTrigger', 'nodes/WhatsAppCloudHighVolumeTrigger', 'nodes/WhatsAppFlowEndpointTrigger', 'credentials']) {
  mkdirSync(join(dist, target), { recursive: true });
  for (const icon of icons) {
    const from = join(root, 'icons', icon);
    if (!existsSync(from)) throw new Error(`bundle: ${from} is missing; run the root build (scripts/copy-assets.mjs)`);
    cpSync(from, join(dist, target, icon));
  }
}
for (const node of ['WhatsAppCloud', 'WhatsAppCloudTrigger', 'WhatsAppCloudHighVolumeTrigger', 'WhatsAppFlowEndpointTrigger']) {
  cpSync(join(root, 'nodes', node, `${node}.node.json`), join(dist, 'nodes', node, `${node}.node.json`));
}
