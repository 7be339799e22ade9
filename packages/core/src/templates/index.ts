/** Templates: list (all pages), get, create (checked first), delete, and their send parameters. */
export type { MessageTemplate, TemplateComponent, TemplateButton, TemplateDefinition, TemplateCategory } from './types';
export {
  listTemplates,
  getTemplate,
  findTemplate,
  createTemplate,
  deleteTemplate,
  TEMPLATE_FIELDS,
  type ListTemplatesOptions,
  type CreateTemplateResult,
} from './api';
export { validateTemplateDefinition } from './validate';
export { createTemplateFromLibrary, libraryTemplateBody, type LibraryTemplateDefinition, type LibraryButtonInput } from './library';
export {
  templateParameters,
  buildTemplateComponents,
  type TemplateParameterSpec,
  type TemplateParameterFormat,
  type TemplateParameterComponent,
  type OutboundTemplateComponent,
  type OutboundTemplateParameter,
} from './parameters';
