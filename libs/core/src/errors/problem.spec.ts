import { BadRequestException, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { AppError } from './app-error.js';
import { toProblem } from './problem.js';

const ctx = { requestId: 'req-12345678', path: '/orders/1' };

describe('toProblem', () => {
  it('hides everything about an unexpected error', () => {
    const problem = toProblem(
      new Error('duplicate key value violates "users_email_key" (jane@example.com)'),
      ctx,
    );
    expect(problem.status).toBe(500);
    expect(problem.unexpected).toBe(true);
    expect(JSON.stringify(problem.body)).not.toMatch(/duplicate|jane|users_email/);
    expect(problem.body.requestId).toBe('req-12345678');
  });

  it('uses an AppError as declared, with its headers and field errors', () => {
    const error = new AppError('out-of-stock', 409, 'Out of stock', {
      detail: 'Not enough units.',
      headers: { 'Retry-After': '5' },
      errors: [{ field: 'items[0].quantity', code: 'out_of_range', message: 'too many' }],
    });
    const problem = toProblem(error, ctx);
    expect(problem.status).toBe(409);
    expect(problem.headers).toEqual({ 'Retry-After': '5' });
    expect(problem.body).toMatchObject({
      type: 'urn:orderops:problem:out-of-stock',
      detail: 'Not enough units.',
      instance: '/orders/1',
    });
    expect(problem.body.errors).toHaveLength(1);
  });

  it('gives framework HTTP exceptions fixed text instead of their messages', () => {
    const problem = toProblem(new NotFoundException('Cannot GET /orders/jane@example.com'), ctx);
    expect(problem.status).toBe(404);
    expect(JSON.stringify(problem.body)).not.toContain('jane@example.com');
    expect(toProblem(new BadRequestException('x'), ctx).body.type).toBe('urn:orderops:problem:bad-request');
  });

  it('keeps the status of Fastify client errors', () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), {
      statusCode: 413,
      code: 'FST_ERR',
    });
    expect(toProblem(tooLarge, ctx).status).toBe(413);
    expect(toProblem(tooLarge, ctx).unexpected).toBe(false);
  });
});
