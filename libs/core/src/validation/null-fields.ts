import { getMetadataStorage, ValidationTypes } from 'class-validator';

const IS_OPTIONAL = 'isOptional';

interface PropertyRule {
  readonly optional: boolean;
  readonly nested: boolean;
}

const rulesByClass = new Map<unknown, ReadonlyMap<string, PropertyRule>>();

/** Per DTO class: which properties are `@IsOptional` and which `@ValidateNested`, read once. */
function rulesOf(target: unknown): ReadonlyMap<string, PropertyRule> {
  let rules = rulesByClass.get(target);
  if (rules === undefined) {
    const found = new Map<string, PropertyRule>();
    if (typeof target === 'function') {
      const storage = getMetadataStorage();
      const metadatas = storage.getTargetValidationMetadatas(target, '', false, false, undefined);
      for (const [name, own] of Object.entries(storage.groupByPropertyName(metadatas))) {
        found.set(name, {
          optional: own.some(
            (m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION && m.name === IS_OPTIONAL,
          ),
          nested: own.some((m) => m.type === ValidationTypes.NESTED_VALIDATION),
        });
      }
    }
    rules = found;
    rulesByClass.set(target, rules);
  }
  return rules;
}

/**
 * Dotted paths of the `@IsOptional` fields that hold `null`, at any depth of nested DTOs.
 *
 * class-validator's `@IsOptional` skips every rule for `null` as well as for a missing
 * value, so `{"email": null}` reached services that expected a string or nothing, and
 * answered 500. The house rule: an optional field may be absent; `null` is refused.
 * No request field documents `null` as meaningful today; one that ever does must say so
 * with `@ValidateIf` instead of `@IsOptional`.
 */
export function nullOptionalFields(object: object, parent = '', depth = 0): string[] {
  // DTOs nest a few levels; bodies are bounded at 32 levels before they get here.
  if (depth > 32) return [];
  const paths: string[] = [];
  const record = object as Record<string, unknown>;
  for (const [name, rule] of rulesOf(object.constructor)) {
    const value = record[name];
    const path = parent ? `${parent}.${name}` : name;
    if (value === null) {
      if (rule.optional) paths.push(path);
    } else if (rule.nested && typeof value === 'object' && value !== undefined) {
      if (Array.isArray(value)) {
        value.forEach((item: unknown, index) => {
          if (typeof item === 'object' && item !== null)
            paths.push(...nullOptionalFields(item, `${path}.${index}`, depth + 1));
        });
      } else {
        paths.push(...nullOptionalFields(value, path, depth + 1));
      }
    }
  }
  return paths;
}
