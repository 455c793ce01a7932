import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openApiTypes, TYPES_PATH } from '../scripts/openapi/typescript-types.mjs';
import { useTestApp } from './support/use-test-app.js';

const run = promisify(execFile);
const TSC = 'node_modules/typescript/bin/tsc';
const PROGRAM = 'dist/typed-client/orders-program.js';

/** Runs a command to its end, answering its exit code and output rather than throwing. */
async function exec(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('a typed client generated from openapi.json (openapi-typescript + openapi-fetch)', () => {
  const t = useTestApp({ operators: { writer: ['orders:write', 'orders:read'] } });

  it('the checked-in types are what the generator makes of openapi.json (run `npm run openapi`)', async () => {
    const document = JSON.parse(readFileSync('openapi.json', 'utf8')) as object;
    const generated = await openApiTypes(document);
    expect(readFileSync(TYPES_PATH, 'utf8')).toBe(generated);
    expect(generated).toContain('"/orders/{id}"');
  });

  it('compiles the client program with tsc, then runs it against the started app', async () => {
    const compiled = await exec([TSC, '-p', 'test/typed-client/tsconfig.json']);
    expect(compiled.code, compiled.stdout + compiled.stderr).toBe(0);

    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    const ran = await exec([PROGRAM], { ORDEROPS_URL: url, ORDEROPS_TOKEN: t.token('writer') });
    expect(ran.code, ran.stderr).toBe(0);
    const result = JSON.parse(ran.stdout) as { id: string };
    expect(result).toEqual({
      id: expect.stringMatching(/^ORD-[0-9A-HJKMNP-TV-Z]{26}$/) as string,
      status: 'placed',
      total: '3.00',
      quantity: 2,
      externalRef: 'PO-TYPED-1',
      missing: { status: 404, is: 'order-not-found' },
    });
    // The order is really there: the program did not answer from anything of its own.
    const stored = await t.app.inject({
      method: 'GET',
      url: `/orders/${result.id}`,
      headers: { authorization: `Bearer ${t.token('writer')}` },
    });
    expect(stored.json()).toMatchObject({ externalRef: 'PO-TYPED-1', total: '3.00' });

    // A token the API refuses makes the program fail by its problem type, not crash.
    const refused = await exec([PROGRAM], { ORDEROPS_URL: url, ORDEROPS_TOKEN: 'not-a-token' });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('create: 401 urn:orderops:problem:invalid-token');
  });

  it('the generated types refuse a program that misuses the API', async () => {
    const dir = 'dist/typed-client-misuse';
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    copyFileSync(TYPES_PATH, join(dir, 'openapi.d.ts'));
    const lines = [
      "import createClient from 'openapi-fetch';",
      "import type { paths } from './openapi.js';",
      'const client = createClient<paths>({ baseUrl: "http://127.0.0.1:1" });',
      "await client.POST('/orders', { body: { currency: 'EUR', items: [{ product: 'Pen', unitPrice: '1.50', quantity: '2' }] } });",
      "await client.GET('/order/{id}', { params: { path: { id: 'x' } } });",
      "const missing = await client.GET('/orders/{id}', { params: { path: { id: 'x' } } });",
      "if (missing.error?.type === 'urn:orderops:problem:no-such-problem') process.exit(2);",
    ];
    writeFileSync(join(dir, 'misuse.ts'), `${lines.join('\n')}\n`);
    const checked = await exec([
      TSC,
      '--ignoreConfig',
      '--noEmit',
      '--strict',
      '--target',
      'ES2023',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--types',
      'node',
      join(dir, 'misuse.ts'),
    ]);
    expect(checked.code).not.toBe(0);
    const errorLines = [...checked.stdout.matchAll(/misuse\.ts\((\d+),\d+\): error/g)].map((m) =>
      Number(m[1]),
    );
    // The string quantity, the unknown path and the unknown problem type, each refused.
    expect([...new Set(errorLines)].sort()).toEqual([4, 5, 7]);
  });
});
