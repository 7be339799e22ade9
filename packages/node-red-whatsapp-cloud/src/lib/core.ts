/**
 * The one door to @wa-cloud/core. Every node file imports core through this module, so the build
 * can replace its compiled form (dist/lib/core.js) with a single esbuild bundle of core and its
 * dependencies: the published package then has no runtime dependencies and the three node files
 * share one copy of core (one limiter registry, one error brand) in the Node-RED process.
 */
export * from '@wa-cloud/core';

