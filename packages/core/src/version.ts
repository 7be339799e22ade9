/**
 * The Graph API version every call uses unless the user picks another (credential field
 * "API Version"). The one place it is defined.
 */
export const DEFAULT_API_VERSION = 'v25.0';

/** Meta's Graph API host; the sandbox's URL replaces it for local work. */
export const DEFAULT_BASE_URL = 'https://graph.facebook.com';

/** Sent on every request (Meta's media CDN refuses some downloads without a User-Agent). */
export const USER_AGENT = '@wa-cloud/core (+https://www.npmjs.com/package/@wa-cloud/core)';
