/** Kept equal to package.json's version by a test; shown in the OpenAPI document. */
export const APP_VERSION = '0.1.0';
