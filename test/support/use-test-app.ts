import { afterAll, beforeAll } from 'vitest';
import {
  createClient,
  createOperator,
  TEST_ADMIN_PASSWORD,
  TEST_OPERATOR_PASSWORD,
  tokenFor,
  type TokenBody,
} from './auth.js';
import { databaseBehindProxy, type ProxiedDatabase, type TcpProxy } from './tcp-proxy.js';
import { startTestApp, type TestApp } from './test-app.js';
import { provisionTestDatabase, type TestDatabase } from './test-database.js';

/** The scopes `createOperator` accepts (taken from it, so this file names no lib's import path). */
type Scope = Parameters<typeof createOperator>[3][number];

export interface TestAppOptions<Operator extends string, Client extends string> {
  /** Settings on top of the database's and the bootstrap admin password (these win). */
  readonly env?: Record<string, string>;
  /** Sets ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD to TEST_ADMIN_PASSWORD; default true. */
  readonly bootstrapAdmin?: boolean;
  /** Mounts the test-only probe routes. */
  readonly probes?: boolean;
  /** The app reaches the database only through a TcpProxy the suite can cut (`proxy`). */
  readonly behindProxy?: boolean;
  /** Operators the admin creates, in this order, keyed by username; password TEST_OPERATOR_PASSWORD. */
  readonly operators?: Readonly<Record<Operator, readonly Scope[]>>;
  /** OAuth clients the admin registers after the operators, in this order, keyed by name. */
  readonly clients?: Readonly<Record<Client, readonly Scope[]>>;
  /**
   * Who gets a token (with default scopes) once the accounts exist, in this order; default:
   * every operator. The admin signs in first whenever there are accounts to create, or when
   * named here.
   */
  readonly signIn?: readonly NoInfer<'admin' | Operator>[];
}

export interface TestAppFixture<Operator extends string, Client extends string> extends TestApp {
  /** The suite's own database (what the proxy, if any, forwards to). */
  readonly db: TestDatabase;
  /** The proxy in front of the database; only with `behindProxy`. */
  readonly proxy: TcpProxy;
  /** The token response from setup, for those who signed in. */
  grant(name: 'admin' | Operator): TokenBody;
  /** The access token from setup, for those who signed in. */
  token(name: 'admin' | Operator): string;
  operator(name: Operator): { id: string; username: string };
  client(name: Client): { clientId: string; clientSecret: string };
}

interface Started {
  db: TestDatabase;
  behind?: ProxiedDatabase;
  app?: TestApp;
  grants: Map<string, TokenBody>;
  operators: Map<string, { id: string; username: string }>;
  clients: Map<string, { clientId: string; clientSecret: string }>;
}

/**
 * One e2e suite's app on a fresh database, with the accounts and tokens it needs: the setup
 * block 23 suites used to paste (provision, start, admin token, operators, operator tokens,
 * close, dispose). Call it in a `describe` body; it registers that suite's beforeAll, which
 * fills the returned object in the order given, and afterAll, which closes the app and drops
 * the database. Reading the object before beforeAll has run throws, naming what was read.
 *
 *   const t = useTestApp({ operators: { clerk: ['orders:read', 'orders:write'] } });
 *   ... t.app.inject(...) with bearer(t.token('clerk'))
 *
 * Suites with two apps on one database, a kept database or child processes set up their own.
 */
export function useTestApp<Operator extends string = never, Client extends string = never>(
  options: TestAppOptions<Operator, Client> = {},
): TestAppFixture<Operator, Client> {
  let started: Started | undefined;

  beforeAll(async () => {
    const db = await provisionTestDatabase();
    const state: Started = { db, grants: new Map(), operators: new Map(), clients: new Map() };
    started = state;
    if (options.behindProxy) state.behind = await databaseBehindProxy(db);
    state.app = await startTestApp(
      {
        ...(state.behind ?? db).env,
        ...(options.bootstrapAdmin === false
          ? {}
          : { ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD }),
        ...options.env,
      },
      { probes: options.probes },
    );
    const { app } = state.app;
    const operators = Object.entries<readonly Scope[]>(options.operators ?? {});
    const clients = Object.entries<readonly Scope[]>(options.clients ?? {});
    const signIn: readonly string[] = options.signIn ?? operators.map(([username]) => username);
    if (operators.length > 0 || clients.length > 0 || signIn.includes('admin')) {
      state.grants.set('admin', await tokenFor(app, 'admin', TEST_ADMIN_PASSWORD));
    }
    const admin = state.grants.get('admin')?.access_token ?? '';
    for (const [username, scopes] of operators) {
      state.operators.set(username, await createOperator(app, admin, username, [...scopes]));
    }
    for (const [name, scopes] of clients) {
      state.clients.set(name, await createClient(app, admin, name, [...scopes]));
    }
    for (const username of signIn) {
      if (username === 'admin') continue;
      state.grants.set(username, await tokenFor(app, username, TEST_OPERATOR_PASSWORD));
    }
  });

  afterAll(async () => {
    await started?.app?.close();
    await started?.behind?.dispose();
    await started?.db.dispose();
  });

  const ready = (what: string): Started & { app: TestApp } => {
    if (!started?.app) throw new Error(`useTestApp: ${what} read before the suite's beforeAll ran`);
    return started as Started & { app: TestApp };
  };
  const found = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useTestApp: this suite's setup has no ${what}`);
    return value;
  };

  return {
    get app() {
      return ready('app').app.app;
    },
    get config() {
      return ready('config').app.config;
    },
    get logs() {
      return ready('logs').app.logs;
    },
    get db() {
      return ready('db').db;
    },
    get proxy() {
      return found(ready('proxy').behind, 'proxy (set behindProxy)').proxy;
    },
    close: () => ready('close').app.close(),
    grant: (name) => found(ready('grant').grants.get(name), `token for ${name} (add it to signIn)`),
    token: (name) =>
      found(ready('token').grants.get(name), `token for ${name} (add it to signIn)`).access_token,
    operator: (name) => found(ready('operator').operators.get(name), `operator ${name}`),
    client: (name) => found(ready('client').clients.get(name), `client ${name}`),
  };
}
