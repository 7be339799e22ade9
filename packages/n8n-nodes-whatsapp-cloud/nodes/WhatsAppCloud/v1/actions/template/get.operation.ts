import { findTemplate, templateParameters } from '@wa-cloud/core';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { getCredentials, requireWabaId } from '../../../transport';
import { runForEachItem } from '../../helpers/execute';
import { fieldId, parameterLabel } from '../../helpers/templates';

const show = { resource: ['template'], operation: ['get'] };

export const description: INodeProperties[] = [
  { displayName: 'Template Name', name: 'name', type: 'string', required: true, default: '', placeholder: 'order_update', displayOptions: { show } },
  { displayName: 'Language', name: 'language', type: 'string', required: true, default: 'en_US', displayOptions: { show } },
];

/** The template with its send parameters (what Send Template will ask for). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  const wabaId = requireWabaId(this.getNode(), await getCredentials(this));
  return await runForEachItem(
    this,
    async (client, i) => {
      const name = this.getNodeParameter('name', i) as string;
      const language = this.getNodeParameter('language', i) as string;
      const template = await findTemplate(client.graph, wabaId, name, language);
      if (!template) return { found: false, name, language };
      // A template with a part this version cannot fill is still shown, with the reason (a send of it fails naming that part).
      try {
        const parameters = templateParameters(template).map((spec) => ({ ...spec, field: fieldId(spec.key), label: parameterLabel(spec) }));
        return { found: true, ...template, parameters };
      } catch (error) {
        return { found: true, ...template, parameters: [], unsupported: (error as Error).message };
      }
    },
    { mode: 'sequential' },
  );
}
