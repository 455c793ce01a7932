/** Every permission a token can carry (DESIGN §3). One map; the type is derived from it. */
export const Scope = {
  OrdersRead: 'orders:read',
  OrdersWrite: 'orders:write',
  OrdersImport: 'orders:import',
  PiiReveal: 'pii:reveal',
  PiiExport: 'pii:export',
  PiiErase: 'pii:erase',
  AuditRead: 'audit:read',
  Admin: 'admin',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

export const ALL_SCOPES: readonly Scope[] = Object.values(Scope);

export const SCOPE_DESCRIPTIONS: Readonly<Record<Scope, string>> = {
  'orders:read': 'Read orders and masked customers',
  'orders:write': 'Create and update orders',
  'orders:import': 'Import order files',
  'pii:reveal': 'Reveal a customer’s personal data (audited)',
  'pii:export': 'Export everything held about a customer',
  'pii:erase': 'Erase a customer’s personal data',
  'audit:read': 'Read and verify the audit trail',
  admin: 'Manage operators, clients and signing keys',
};

export function isScope(value: string): value is Scope {
  return (ALL_SCOPES as readonly string[]).includes(value);
}

/** Parses a space-delimited scope parameter; unknown names are returned separately. */
export function parseScopeParam(param: string): { scopes: Scope[]; unknown: string[] } {
  const names = [...new Set(param.split(' ').filter((s) => s.length > 0))];
  return { scopes: names.filter(isScope), unknown: names.filter((s) => !isScope(s)) };
}

export function formatScopes(scopes: readonly Scope[]): string {
  return ALL_SCOPES.filter((s) => scopes.includes(s)).join(' ');
}
