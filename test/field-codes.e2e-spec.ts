import {
  classesWithValidatorRules,
  FIELD_CODE_MEANINGS,
  FieldCode,
  fieldCodeOfRule,
  toFieldProblems,
  unmappedRules,
  VALIDATOR_OPTIONS,
  validatorRulesOf,
} from '@orderops/core';
import { IsInt, IsString, IsUUID, Length, Max, MaxLength, Min, MinLength } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// Loads every DTO of the API (each lib's controllers and the probe routes) into class-validator's metadata.
import '../apps/api/src/app.module.js';
import './support/probe.module.js';
import { useTestApp } from './support/use-test-app.js';

const CODES: readonly string[] = Object.values(FieldCode);

class UnmappedDto {
  @IsUUID()
  id!: string;

  @Length(1, 10)
  label!: string;
}

class LengthsDto {
  @IsString()
  @MinLength(2)
  @MaxLength(4)
  name!: string;

  @IsInt()
  @Min(1)
  @Max(9)
  count!: number;
}

const problemsOf = (body: object) =>
  toFieldProblems(validateSync(plainToInstance(LengthsDto, body), VALIDATOR_OPTIONS)).map(
    (p) => `${p.field}:${p.code}`,
  );

describe('stable field codes (errors[].code)', () => {
  it('every rule any DTO of the API declares has a stable code', () => {
    const classes = classesWithValidatorRules();
    // The API's DTOs are loaded: a walk that found none would prove nothing.
    expect(classes.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'CreateOrderDto',
        'CreateOperatorDto',
        'CustomerDetailsDto',
        'ListOrdersQueryDto',
      ]),
    );
    const rules = validatorRulesOf(classes.filter((c) => c !== UnmappedDto));
    expect(rules.length).toBeGreaterThan(15);
    expect(classes.length).toBeGreaterThan(15);
    expect(unmappedRules(rules)).toEqual([]);
  });

  it('the check names a rule without a code (and isLength, which cannot tell too short from too long)', () => {
    expect(unmappedRules(validatorRulesOf([UnmappedDto]))).toEqual(['isLength', 'isUuid']);
    expect(fieldCodeOfRule('isUuid')).toBe(FieldCode.Invalid);
    expect(fieldCodeOfRule('toString')).toBe(FieldCode.Invalid);
  });

  it('maps rules to codes, and a value of the wrong type reports its type alone', () => {
    expect(problemsOf({ name: 'ab', count: 3 })).toEqual([]);
    expect(problemsOf({ name: 'a', count: 0 })).toEqual(['name:too_short', 'count:out_of_range']);
    expect(problemsOf({ name: 'abcde', count: 10 })).toEqual(['name:too_long', 'count:out_of_range']);
    expect(problemsOf({ name: 5, count: '3' })).toEqual(['name:not_a_string', 'count:not_an_integer']);
    expect(problemsOf({ name: 'ab', count: 3, extra: 1 })).toEqual(['extra:not_allowed']);
  });

  it('every code has a meaning, in the document and in docs/problems.md', () => {
    expect(Object.keys(FIELD_CODE_MEANINGS).sort()).toEqual([...CODES].sort());
    const document = JSON.parse(readFileSync('openapi.json', 'utf8')) as {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const errors = document.components.schemas['Problem'].properties['errors'] as {
      items: { properties: { code: { enum: string[] } } };
    };
    expect(errors.items.properties.code.enum).toEqual(CODES);
    const markdown = readFileSync('docs/problems.md', 'utf8');
    expect(CODES.filter((code) => !markdown.includes(`| \`${code}\` |`))).toEqual([]);
  });

  describe('over HTTP', () => {
    const t = useTestApp({ operators: { writer: ['orders:write', 'orders:read'] } });

    it('a refused POST /orders answers only codes of the closed set', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/orders',
        headers: { authorization: `Bearer ${t.token('writer')}` },
        payload: {
          currency: 'eur',
          note: 5,
          items: [{ product: '', unitPrice: '0', quantity: 2.5 }, 'x'],
          surprise: true,
        },
      });
      expect(res.statusCode).toBe(400);
      const errors = res.json<{ errors: { field: string; code: string }[] }>().errors;
      expect(errors.map((e) => `${e.field}:${e.code}`).sort()).toEqual(
        [
          'currency:invalid_enum',
          'items.0.product:too_short',
          'items.0.quantity:not_an_integer',
          'items.0.unitPrice:invalid_amount',
          'items.1:not_an_object',
          'note:not_a_string',
          'surprise:not_allowed',
        ].sort(),
      );
      expect(errors.filter((e) => !CODES.includes(e.code))).toEqual([]);
    });
  });
});
