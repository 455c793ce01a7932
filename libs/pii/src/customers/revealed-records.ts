import type { CustomerRecord } from './customer-record.js';

/**
 * The records an audited reveal or export handed out. The mapper shows a record in clear
 * only if it is one of these, so no other code (nor another lib: this file is not in the
 * index) can ask for clear text with a flag; a copy of a revealed record is masked again.
 */
const revealed = new WeakSet<CustomerRecord>();

/** Called by CustomersService once the reveal or export is audited, in its transaction. */
export function markRevealed<T extends CustomerRecord>(record: T): T {
  revealed.add(record);
  return record;
}

export function isRevealed(record: CustomerRecord): boolean {
  return revealed.has(record);
}
