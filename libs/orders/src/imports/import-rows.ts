import {
  VALIDATOR_OPTIONS,
  provenValidFor,
  toFieldProblems,
  type FieldProblem,
  FieldCode,
} from '@orderops/core';
import { CustomerDetailsDto } from '@orderops/pii';
import { validateSync } from 'class-validator';
import { CreateOrderDto, OrderItemDto } from '../orders/dto/create-order.dto.js';
import { priceDecimalProblems } from '../orders/price-decimals.js';
import type { CsvCells, CsvRecord, ImportColumn } from './csv-rows.js';
import type { RowReject } from './import-report.js';

/** Items per order, as POST /orders allows. */
export const MAX_ITEMS_PER_ORDER = 100;

export type OrderCheck =
  | { readonly ok: true; readonly order: CreateOrderDto }
  | { readonly ok: false; readonly rejects: readonly RowReject[] };

/** Columns that describe the order rather than the item: equal on every row of an order_ref. */
const ORDER_COLUMNS: readonly ImportColumn[] = [
  'currency',
  'customer_name',
  'customer_email',
  'customer_phone',
];

const ITEM_COLUMNS: Readonly<Record<string, ImportColumn>> = {
  product: 'product',
  unitPrice: 'price',
  quantity: 'quantity',
};
const CUSTOMER_COLUMNS: Readonly<Record<string, ImportColumn>> = {
  name: 'customer_name',
  email: 'customer_email',
  phone: 'customer_phone',
};

const cell = (cells: CsvCells, column: ImportColumn): string | undefined => {
  const value = cells[column];
  return value === undefined || value === '' ? undefined : value;
};

/** A whole number stays a string otherwise, so the DTO's own rule reports it (no implicit conversion). */
function quantityOf(raw: string): number | string {
  return /^[0-9]{1,9}$/.test(raw) ? Number(raw) : raw;
}

/**
 * The POST /orders DTO these rows stand for: one item per row, order fields from the first
 * row. Built as DTO instances directly: the DTOs declare no transforms and conversion is
 * off, so this is what `plainToInstance` makes of the equivalent JSON body, at a fraction
 * of the cost per row.
 */
function toOrder(rows: readonly CsvRecord[], defaultCurrency: string): CreateOrderDto {
  const first = rows[0].cells;
  const name = cell(first, 'customer_name');
  const email = cell(first, 'customer_email');
  const phone = cell(first, 'customer_phone');
  const ref = cell(first, 'order_ref');
  const order = new CreateOrderDto();
  order.currency = cell(first, 'currency') ?? defaultCurrency;
  // The partner's order number becomes the order's externalRef, under POST /orders' rule.
  if (ref !== undefined) order.externalRef = ref;
  order.items = rows.map(({ cells }) =>
    Object.assign(new OrderItemDto(), {
      product: cells.product ?? '',
      unitPrice: cells.price ?? '',
      quantity: quantityOf(cells.quantity ?? ''),
    }),
  );
  if (name !== undefined || email !== undefined || phone !== undefined) {
    order.customer = Object.assign(new CustomerDetailsDto(), {
      name: name ?? '',
      email: email ?? '',
      ...(phone === undefined ? {} : { phone }),
    });
  }
  return order;
}

/** The global pipe's rules, proven cheaply for the valid rows that make up most files. */
const provenValid = provenValidFor(VALIDATOR_OPTIONS);

/** `unitPrice must be ...` reads `price must be ...` in a report about CSV columns. */
function renamed(problem: FieldProblem, property: string, column: ImportColumn): FieldProblem {
  const message = problem.message.startsWith(`${property} `)
    ? `${column}${problem.message.slice(property.length)}`
    : problem.message;
  return { field: column, code: problem.code, message };
}

/** Puts a DTO field problem on the file line and column it came from. */
function locate(problem: FieldProblem, lines: readonly number[]): { line: number; problem: FieldProblem } {
  const parts = problem.field.split('.');
  if (parts[0] === 'items' && parts.length === 3) {
    const line = lines[Number(parts[1])] ?? lines[0];
    const column = ITEM_COLUMNS[parts[2]];
    return { line, problem: column ? renamed(problem, parts[2], column) : problem };
  }
  if (parts[0] === 'customer') {
    const property = parts[1] ?? 'email';
    const column = CUSTOMER_COLUMNS[property] ?? 'customer_email';
    return { line: lines[0], problem: renamed(problem, property, column) };
  }
  if (parts[0] === 'currency') return { line: lines[0], problem: renamed(problem, 'currency', 'currency') };
  if (parts[0] === 'externalRef')
    return { line: lines[0], problem: renamed(problem, 'externalRef', 'order_ref') };
  return { line: lines[0], problem: { ...problem, field: 'order_ref' } };
}

/** Rows 2..n of an order_ref must repeat the order's own columns (or leave them out). */
function conflicts(rows: readonly CsvRecord[]): Map<number, FieldProblem[]> {
  const found = new Map<number, FieldProblem[]>();
  const first = rows[0].cells;
  for (const { line, cells } of rows.slice(1)) {
    for (const column of ORDER_COLUMNS) {
      const value = cell(cells, column);
      if (value !== undefined && value !== cell(first, column)) {
        found.set(line, [
          ...(found.get(line) ?? []),
          {
            field: column,
            code: FieldCode.ConflictingValue,
            message: `${column} differs from the first row of this order_ref`,
          },
        ]);
      }
    }
  }
  return found;
}

/**
 * Validates the rows of one order (one row, or the rows of one order_ref) with the very
 * DTO and validator settings of POST /orders; `validateSync` words the errors of any order
 * the fast check cannot prove valid. An order is all or nothing: when one row is
 * invalid, every row of the order is rejected, the others with `order_rejected`.
 */
export function checkOrder(rows: readonly CsvRecord[], defaultCurrency: string): OrderCheck {
  const lines = rows.map((r) => r.line);
  const order = toOrder(rows, defaultCurrency);
  const byLine = conflicts(rows);
  // The DTO's rules first; the currency's decimals only for an order that passed them.
  const problems =
    byLine.size === 0 && provenValid(order) ? [] : toFieldProblems(validateSync(order, VALIDATOR_OPTIONS));
  if (byLine.size === 0 && problems.length === 0) problems.push(...priceDecimalProblems(order));
  for (const problem of problems) {
    const located = locate(problem, lines);
    byLine.set(located.line, [...(byLine.get(located.line) ?? []), located.problem]);
  }
  if (byLine.size === 0) return { ok: true, order };
  return {
    ok: false,
    rejects: lines.map((line) => ({
      line,
      errors: byLine.get(line) ?? [
        {
          field: 'order_ref',
          code: FieldCode.OrderRejected,
          message: 'another row of this order_ref is invalid',
        },
      ],
    })),
  };
}
