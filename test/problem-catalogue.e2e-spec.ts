import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROBLEM_CATALOGUE } from '../apps/api/src/app.factory.js';
import { renderProblemsMarkdown } from '@orderops/core';

interface Operation {
  responses: Record<
    string,
    { content?: Record<string, { schema?: { $ref?: string; allOf?: { $ref?: string }[] } }> }
  >;
}

/**
 * The one exception, by design (DESIGN §3): the OAuth endpoints answer their own errors in
 * RFC 6749 form, documented with the OAuthErrorResponse schema as application/json.
 */
function isOAuthError(path: string, response: Operation['responses'][string]): boolean {
  const schema = response.content?.['application/json']?.schema;
  const refs = [schema?.$ref, ...(schema?.allOf ?? []).map((part) => part.$ref)];
  return path.startsWith('/oauth/') && refs.includes('#/components/schemas/OAuthErrorResponse');
}

const document = JSON.parse(readFileSync('openapi.json', 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { required?: string[]; properties: Record<string, unknown> }> };
  'x-problem-types': { type: string; code: string }[];
};

/** Operations whose error responses are missing or not the shared Problem as problem+json. */
function undocumentedProblems(doc: typeof document): string[] {
  const faults: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const errors = Object.entries(operation.responses).filter(([status]) => /^[45]/.test(status));
      if (errors.length === 0) faults.push(`${method.toUpperCase()} ${path}: no error responses`);
      for (const [status, response] of errors) {
        const ref = response.content?.['application/problem+json']?.schema?.$ref;
        if (ref !== '#/components/schemas/Problem' && !isOAuthError(path, response))
          faults.push(`${method.toUpperCase()} ${path} ${status}`);
      }
    }
  }
  return faults;
}

/**
 * Every code value of every `*ErrorCode` constant in the libs' sources, read from the files
 * themselves, so a lib whose codes are not wired into the catalogue is caught too.
 */
function declaredErrorCodes(): string[] {
  const files = ['libs/core/src/errors/core.errors.ts'];
  for (const lib of readdirSync('libs')) {
    const src = join('libs', lib, 'src');
    for (const name of readdirSync(src)) if (name.endsWith('.errors.ts')) files.push(join(src, name));
  }
  const codes = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const block of text.matchAll(/export const \w+ErrorCode = \{([^}]*)\}/g)) {
      for (const value of block[1].matchAll(/:\s*'([^']+)'/g)) codes.add(value[1]);
    }
  }
  return [...codes].sort();
}

describe('problem documentation', () => {
  it('every operation documents its error responses as application/problem+json with the Problem schema', () => {
    expect(undocumentedProblems(document)).toEqual([]);
  });

  it('the walker catches an operation without problem+json error responses', () => {
    const broken = structuredClone(document);
    broken.paths['/orders']['get'].responses['404'] = { content: { 'application/json': {} } };
    delete broken.paths['/me']['get'].responses['401'].content;
    broken.paths['/health/live']['get'].responses = { '200': {} };
    // The RFC 6749 error form is accepted on the OAuth endpoints only.
    broken.paths['/orders']['post'].responses['400'] = broken.paths['/oauth/token']['post'].responses['400'];
    expect(undocumentedProblems(broken)).toEqual([
      'GET /health/live: no error responses',
      'GET /me 401',
      'POST /orders 400',
      'GET /orders 404',
    ]);
  });

  it('the Problem schema carries the RFC 9457 members the service answers', () => {
    const problem = document.components.schemas['Problem'];
    expect(Object.keys(problem.properties).sort()).toEqual(
      ['detail', 'errors', 'instance', 'requestId', 'status', 'title', 'traceId', 'type'].sort(),
    );
    expect(problem.required).toEqual(['type', 'title', 'status', 'detail', 'instance', 'requestId']);
  });

  it('every declared error code is in x-problem-types, the Problem type enum and docs/problems.md', () => {
    const codes = declaredErrorCodes();
    expect(codes.length).toBeGreaterThan(40);
    const listed = document['x-problem-types'].map((entry) => entry.code).sort();
    expect(listed).toEqual(codes);
    const enumTypes = (document.components.schemas['Problem'].properties['type'] as { enum: string[] }).enum;
    expect(enumTypes.sort()).toEqual(codes.map((code) => `urn:orderops:problem:${code}`).sort());
    const markdown = readFileSync('docs/problems.md', 'utf8');
    expect(codes.filter((code) => !markdown.includes(`| \`${code}\` |`))).toEqual([]);
  });

  it('docs/problems.md is current (run `npm run openapi` after adding an error code)', () => {
    expect(readFileSync('docs/problems.md', 'utf8')).toBe(renderProblemsMarkdown(PROBLEM_CATALOGUE));
  });
});
