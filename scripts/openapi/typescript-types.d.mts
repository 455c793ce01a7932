/** Where `npm run openapi` writes the generated client types. */
export declare const TYPES_PATH: string;
/** The openapi-typescript types for a parsed OpenAPI document. */
export declare function openApiTypes(document: object): Promise<string>;
