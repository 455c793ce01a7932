export * from './current-principal.decorator.js';
export * from './current-reach.decorator.js';
export * from './ownership.js';
export * from './principal.js';
export * from './public.decorator.js';
export * from './require-scopes.decorator.js';
export * from './scopes.js';
