/**
 * The one door to @wa-cloud/core. Every node file imports core through this module, so the build
 * can replace its compiled form (dist/lib/core.js) with a single esbuild bundle of core and its
 * dependencies: the published package then has no runtime dependencies and the three node files
 * share one copy of core (one limiter registry, one error brand) in the Node-RED process.
 */
export * from '@wa-cloud/core';

// TEMPORARY until core's index exports its management functions (asked for in the report):
// the same functions, reached through core's compiled folders.
export { listTemplates, findTemplate, templateParameters, buildTemplateComponents, type MessageTemplate, type TemplateParameterSpec } from '@wa-cloud/core/dist/templates';
export { uploadMedia, downloadMedia, mediaKindOf } from '@wa-cloud/core/dist/media';
export { diagnose, type DiagnoseReport } from '@wa-cloud/core/dist/diagnose';
