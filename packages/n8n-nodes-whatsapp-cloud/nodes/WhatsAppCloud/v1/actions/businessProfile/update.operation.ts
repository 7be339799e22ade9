import { BUSINESS_PROFILE_LIMITS, BUSINESS_VERTICALS, updateBusinessProfile, type BusinessProfileUpdate } from '@wa-cloud/core';
import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { runForEachItem } from '../../helpers/execute';

const VERTICAL_NAMES: Record<string, string> = {
  OTHER: 'Other',
  AUTO: 'Automotive',
  BEAUTY: 'Beauty, Spa and Salon',
  APPAREL: 'Clothing and Apparel',
  EDU: 'Education',
  ENTERTAIN: 'Entertainment',
  EVENT_PLAN: 'Event Planning and Service',
  FINANCE: 'Finance and Banking',
  GROCERY: 'Food and Grocery',
  GOVT: 'Public Service',
  HOTEL: 'Hotel and Lodging',
  HEALTH: 'Medical and Health',
  NONPROFIT: 'Non-Profit',
  PROF_SERVICES: 'Professional Services',
  RETAIL: 'Shopping and Retail',
  TRAVEL: 'Travel and Transportation',
  RESTAURANT: 'Restaurant',
  ALCOHOL: 'Alcoholic Beverages',
  ONLINE_GAMBLING: 'Online Gambling and Gaming',
  PHYSICAL_GAMBLING: 'Non-Online Gambling and Gaming',
  OTC_DRUGS: 'Over-the-Counter Drugs',
};

const show = { resource: ['businessProfile'], operation: ['update'] };

export const description: INodeProperties[] = [
  {
    displayName: 'Update Fields',
    name: 'updateFields',
    type: 'collection',
    placeholder: 'Add Field',
    default: {},
    displayOptions: { show },
    options: [
      {
        displayName: 'About',
        name: 'about',
        type: 'string',
        default: '',
        description: `The profile's "About" text (1–${BUSINESS_PROFILE_LIMITS.about} characters)`,
      },
      {
        displayName: 'Address',
        name: 'address',
        type: 'string',
        default: '',
        description: `Business address (up to ${BUSINESS_PROFILE_LIMITS.address} characters)`,
      },
      {
        displayName: 'Description',
        name: 'description',
        type: 'string',
        typeOptions: { rows: 3 },
        default: '',
        description: `Business description (up to ${BUSINESS_PROFILE_LIMITS.description} characters)`,
      },
      {
        displayName: 'Email',
        name: 'email',
        type: 'string',
        placeholder: 'name@email.com',
        default: '',
        description: `Contact email (up to ${BUSINESS_PROFILE_LIMITS.email} characters)`,
      },
      {
        displayName: 'Vertical',
        name: 'vertical',
        type: 'options',
        default: 'OTHER',
        description: 'The business\'s industry',
        options: BUSINESS_VERTICALS.map((value) => ({ name: VERTICAL_NAMES[value] ?? value, value })).sort((a, b) => a.name.localeCompare(b.name)),
      },
      {
        displayName: 'Websites',
        name: 'websites',
        type: 'string',
        default: '',
        placeholder: 'https://example.com, https://shop.example.com',
        description: `Up to ${BUSINESS_PROFILE_LIMITS.websites} http(s) URLs, comma-separated (they replace the current ones)`,
      },
    ],
  },
];

/** The profile change of one item (only the fields that were added; websites split on commas). */
export function profileUpdate(fields: IDataObject): BusinessProfileUpdate {
  const update: BusinessProfileUpdate = {};
  for (const key of ['about', 'address', 'description', 'email', 'vertical'] as const) {
    if (fields[key] !== undefined) update[key] = String(fields[key]);
  }
  if (fields.websites !== undefined) {
    const list = Array.isArray(fields.websites) ? fields.websites : String(fields.websites).split(',');
    update.websites = list.map((w) => String(w).trim()).filter(Boolean);
  }
  return update;
}

/** Changes the business profile (core checks every field against Meta's limits first). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
  return await runForEachItem(
    this,
    async (client, i) => {
      const update = profileUpdate(this.getNodeParameter('updateFields', i, {}) as IDataObject);
      if (Object.keys(update).length === 0) {
        throw new NodeOperationError(this.getNode(), 'No profile field to update', { itemIndex: i, description: 'Add at least one field under "Update Fields".' });
      }
      const result = await updateBusinessProfile(client.graph, client.phoneNumberId, update);
      return { ...result, updated: Object.keys(update) };
    },
    { mode: 'sequential' },
  );
}
