import { applyDecorators } from '@nestjs/common';
import { ApiResponse, type OpenAPIObject } from '@nestjs/swagger';
import { problemType } from '../errors/core.errors.js';
import { FIELD_CODE_MEANINGS, FieldCode } from '../errors/field-codes.js';
import { UNLIMITED_EXTENSION } from '../rate-limit/strict-rate-limit.decorator.js';

export const PROBLEM_SCHEMA_NAME = 'Problem';
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
const PROBLEM_REF = `#/components/schemas/${PROBLEM_SCHEMA_NAME}`;

/** One entry of the problem type catalogue: a code a lib declares, and the lib that owns it. */
export interface ProblemTypeEntry {
  readonly code: string;
  readonly type: string;
  readonly owner: string;
}

/**
 * The catalogue of every problem type the service can answer, from the libs' code constants
 * (`*ErrorCode`), so the document and docs/problems.md cannot list a code the code lacks or
 * miss one it has. Duplicates (a code two libs share, such as unsupported-media-type) keep
 * their first owner.
 */
export function problemCatalogue(
  codesByOwner: Readonly<Record<string, Readonly<Record<string, string>>>>,
): ProblemTypeEntry[] {
  const seen = new Map<string, ProblemTypeEntry>();
  for (const [owner, codes] of Object.entries(codesByOwner)) {
    for (const code of Object.values(codes)) {
      if (!seen.has(code)) seen.set(code, { code, type: problemType(code), owner });
    }
  }
  return [...seen.values()].sort((a, b) => a.code.localeCompare(b.code));
}

/**
 * Error responses any route can answer whatever it does: the principal rate limit, our own
 * failures and a dependency outage. Route-specific ones are declared with ApiProblems.
 */
const EVERY_OPERATION: Readonly<Record<string, string>> = {
  '429': 'Rate limit exceeded; see Retry-After and the RateLimit headers',
  '500': 'Unexpected failure; the requestId names it in the logs',
  '503': 'A dependency (database, rate-limit store) is unavailable; see Retry-After',
};

/**
 * Route-specific error responses, by status. Only the status and the reason are written
 * here: documentProblems gives every 4xx/5xx response the shared Problem schema.
 */
export const ApiProblems = (responses: Readonly<Record<number, string>>): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ...Object.entries(responses).map(([status, description]) =>
      ApiResponse({ status: Number(status), description }),
    ),
  );

function problemSchema(catalogue: readonly ProblemTypeEntry[]): Record<string, unknown> {
  return {
    type: 'object',
    description: 'An RFC 9457 problem document. `type` is one of the URNs listed in x-problem-types.',
    required: ['type', 'title', 'status', 'detail', 'instance', 'requestId'],
    properties: {
      type: {
        type: 'string',
        enum: catalogue.map((entry) => entry.type),
        example: problemType('order-not-found'),
      },
      title: { type: 'string', example: 'Not Found' },
      status: { type: 'integer', minimum: 400, maximum: 599, example: 404 },
      detail: { type: 'string', example: 'No order has this id.' },
      instance: {
        type: 'string',
        description: 'the route template, never the concrete path',
        example: '/orders/:id',
      },
      requestId: { type: 'string', description: 'echoed in X-Request-Id and the logs' },
      traceId: {
        type: 'string',
        description: 'on 5xx answers while tracing is on: the W3C trace id of the request',
      },
      errors: {
        type: 'array',
        description: 'field-level problems (validation failures)',
        items: {
          type: 'object',
          required: ['field', 'code', 'message'],
          properties: {
            field: { type: 'string', example: 'items.0.quantity' },
            code: {
              type: 'string',
              description: 'a stable code; docs/problems.md says what each means',
              enum: Object.values(FieldCode),
              example: FieldCode.OutOfRange,
            },
            message: { type: 'string', example: 'quantity must not be less than 1' },
          },
        },
      },
    },
    additionalProperties: true,
  };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Adds the shared Problem schema and the problem type catalogue (`x-problem-types`), gives
 * every operation the error responses any route can answer, and makes every 4xx/5xx
 * response without a body of its own a problem+json document. Responses that declare their
 * own content (OAuth's RFC 6749 errors) keep it.
 */
export function documentProblems(
  document: OpenAPIObject,
  catalogue: readonly ProblemTypeEntry[],
): OpenAPIObject {
  document.components ??= {};
  document.components.schemas = {
    ...document.components.schemas,
    [PROBLEM_SCHEMA_NAME]: problemSchema(catalogue),
  };
  (document as unknown as Record<string, unknown>)['x-problem-types'] = catalogue.map(
    ({ type, code, owner }) => ({
      type,
      code,
      owner,
    }),
  );
  for (const path of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = path[method];
      if (!operation) continue;
      const unlimited = (operation as unknown as Record<string, unknown>)[UNLIMITED_EXTENSION] === true;
      for (const [status, description] of Object.entries(EVERY_OPERATION)) {
        if (status === '429' && unlimited) continue;
        operation.responses[status] ??= { description };
      }
      // Sorted by status so the checked-in document reads in order whatever the decorator order.
      const responses: typeof operation.responses = {};
      for (const status of Object.keys(operation.responses).sort()) {
        const response = operation.responses[status];
        if (!response) continue;
        const needsProblem = /^[45]/.test(status) && !('$ref' in response) && !response.content;
        responses[status] = needsProblem
          ? { ...response, content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: PROBLEM_REF } } } }
          : response;
      }
      operation.responses = responses;
    }
  }
  return document;
}

/** docs/problems.md, written by `npm run openapi` from the same catalogue as the document. */
export function renderProblemsMarkdown(catalogue: readonly ProblemTypeEntry[]): string {
  const rows = catalogue.map(({ code, type, owner }) => `| \`${code}\` | \`${type}\` | ${owner} |`);
  return [
    '# Problem types',
    '',
    'Every error the API answers is an RFC 9457 `application/problem+json` document (the',
    '`Problem` schema in `openapi.json`) whose `type` is one of the URNs below. Clients branch',
    'on `type`, never on `title` or `detail`. The OAuth endpoints answer their own errors in',
    'RFC 6749 form (`error`, `error_description`) instead.',
    '',
    'Generated by `npm run openapi` from the `*ErrorCode` constants of the libs; the same list',
    'is the `x-problem-types` extension and the `Problem.type` enum of the document. Do not edit',
    'by hand: `test/problem-catalogue.e2e-spec.ts` fails when it is stale.',
    '',
    '| Code | Type | Declared by |',
    '| ---- | ---- | ----------- |',
    ...rows,
    '',
    '## Field codes',
    '',
    'A `validation-failed` problem (and each rejected row of an import report) lists its field',
    'problems in `errors[]` as `{field, code, message}`. `code` is one of the stable values',
    'below (the `Problem.errors[].code` enum of the document); `message` is for people and may',
    'be reworded. A value of the wrong type reports only its type code. Generated from',
    '`libs/core/src/errors/field-codes.ts`, which maps the validator rules to these codes.',
    '',
    '| Code | Meaning |',
    '| ---- | ------- |',
    ...Object.entries(FIELD_CODE_MEANINGS).map(([code, meaning]) => `| \`${code}\` | ${meaning} |`),
    '',
  ].join('\n');
}
