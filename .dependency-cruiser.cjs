/** The house rules of DESIGN §2: dependencies point one way, libs only through their index. */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'libs-never-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'apps-never-import-each-other',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'no-deep-lib-imports',
      comment: 'Outside a lib, import it only through @orderops/<lib> (its src/index.ts).',
      severity: 'error',
      from: { path: '^(apps|libs|test)/', pathNot: '^libs/([^/]+)/' },
      to: { path: '^libs/[^/]+/src/', pathNot: '^libs/[^/]+/src/index\\.ts$' },
    },
    {
      name: 'no-deep-lib-imports-between-libs',
      severity: 'error',
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/[^/]+/src/', pathNot: ['^libs/$1/', '^libs/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'access-knows-no-lib',
      comment:
        'The access vocabulary (scopes, principal, ownership) stands alone: every lib may declare access.',
      severity: 'error',
      from: { path: '^libs/access/' },
      to: { path: '^libs/(?!access/)' },
    },
    {
      name: 'core-knows-no-feature',
      comment: 'Core is infrastructure: it knows no lib, not even the product scopes of access.',
      severity: 'error',
      from: { path: '^libs/core/' },
      to: { path: '^libs/(?!core/)' },
    },
    {
      name: 'audit-knows-access-and-core',
      severity: 'error',
      from: { path: '^libs/audit/' },
      to: { path: '^libs/(?!audit/|core/|access/)' },
    },
    {
      name: 'auth-knows-audit-access-and-core',
      severity: 'error',
      from: { path: '^libs/auth/' },
      to: { path: '^libs/(?!auth/|audit/|core/|access/)' },
    },
    {
      name: 'pii-knows-audit-access-and-core',
      severity: 'error',
      from: { path: '^libs/pii/' },
      to: { path: '^libs/(?!pii/|audit/|core/|access/)' },
    },
    {
      name: 'orders-knows-pii-audit-auth-access-core',
      severity: 'error',
      from: { path: '^libs/orders/' },
      to: { path: '^libs/(?!orders/|pii/|audit/|auth/|core/|access/)' },
    },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: '\\.spec\\.ts$' },
      to: { path: '(^test/|\\.spec\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|^node_modules/)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
