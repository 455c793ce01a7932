import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@orderops/core';
import { describe, expect, it } from 'vitest';

/**
 * The README's Configuration table documents every setting: each variable the configuration
 * reads (found by running it), each one code reads from the environment itself, each one the
 * chart renders into the pod's environment, and each OTEL_* variable the project sets or
 * names anywhere (the OpenTelemetry SDK reads those). A secret read from `NAME_FILE` says so.
 */

interface Row {
  readonly names: readonly string[];
  readonly file: boolean;
}

const SETTING = /^[A-Z][A-Z0-9_]+$/;

/** The rows of the table under `## Configuration`: the variables named in its first cell. */
function configurationRows(markdown: string): Row[] {
  const section = markdown.split(/^## Configuration$/m)[1]?.split(/^## /m)[0] ?? '';
  return section
    .split('\n')
    .filter((line) => /^\|\s*`/.test(line))
    .map((line) => {
      const first = line.split('|')[1] ?? '';
      const names = [...first.matchAll(/`([^`]+)`/g)].map((m) => m[1]).filter((n) => SETTING.test(n));
      return { names, file: first.includes('`_FILE`') };
    });
}

/** Every variable loadConfig reads, over environments that take each of its branches. */
function readByConfig(): Set<string> {
  const read = new Set<string>();
  const scenarios: Record<string, string>[] = [
    {},
    { NODE_ENV: 'production' },
    { NODE_ENV: 'production', DATABASE_URL: 'postgres://app@db.internal:5432/app' },
    {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://app@db.internal:5432/app',
      DATABASE_SSL_MODE: 'require',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
    },
    { REDIS_URL: 'redis://r:6379', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' },
  ];
  for (const scenario of scenarios) {
    const env = new Proxy(scenario, {
      get(target, name) {
        if (typeof name === 'string') read.add(name);
        return target[name as string];
      },
    });
    try {
      loadConfig(env);
    } catch {
      // A production environment without its secrets is refused; what it read still counts.
    }
  }
  return read;
}

function sourceFiles(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' ? [] : sourceFiles(path, ext);
    return ext.test(entry) ? [path] : [];
  });
}

/** `process.env.NAME` and `env.NAME` in the apps' and libs' code (not their specs). */
function readByCode(): Set<string> {
  const names = new Set<string>();
  for (const file of [...sourceFiles('apps', /\.ts$/), ...sourceFiles('libs', /\.ts$/)]) {
    if (file.endsWith('.spec.ts')) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/\b(?:process\.)?env\.([A-Z][A-Z0-9_]+)/g))
      names.add(m[1]);
  }
  return names;
}

/** The variables the chart puts in the pod's environment (its ConfigMap data). */
function renderedByChart(): Set<string> {
  const helpers = readFileSync('helm/orderops/templates/_helpers.tpl', 'utf8');
  const block = helpers.split('{{- define "orderops.configData" -}}')[1]?.split('{{- define ')[0] ?? '';
  return new Set([...block.matchAll(/^\s*([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]));
}

/** Every OTEL_* variable the project's code, chart and scripts set or name. */
function otelNamed(): Set<string> {
  const files = ['apps', 'libs', 'helm/orderops', 'scripts'].flatMap((dir) =>
    sourceFiles(dir, /\.(ts|mjs|js|yaml|tpl|txt|json)$/),
  );
  return new Set(
    files.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\bOTEL_[A-Z0-9_]+/g)].map((m) => m[0])),
  );
}

/** What is wrong with `rows` against the settings: missing rows, missing `_FILE`, stale rows. */
function problems(rows: readonly Row[], settings: ReadonlySet<string>): string[] {
  const documented = new Map(rows.flatMap((row) => row.names.map((name) => [name, row] as const)));
  const found: string[] = [];
  for (const name of [...settings].sort()) {
    const base = name.endsWith('_FILE') ? name.slice(0, -'_FILE'.length) : name;
    const row = documented.get(base);
    if (row === undefined) found.push(`${base}: no row`);
    else if (base !== name && !row.file) found.push(`${base}: row does not say (\`_FILE\`)`);
  }
  for (const name of documented.keys()) {
    // OTEL_* rows may name SDK variables the project itself never sets.
    if (!name.startsWith('OTEL_') && !settings.has(name))
      found.push(`${name}: row for a setting nothing reads`);
  }
  return [...new Set(found)];
}

describe("the README's Configuration table", () => {
  const readme = readFileSync('README.md', 'utf8');
  const config = readByConfig();
  const settings = new Set([...config, ...readByCode(), ...renderedByChart(), ...otelNamed()]);

  it('finds what it checks', () => {
    expect(configurationRows(readme).length).toBeGreaterThan(40);
    for (const name of [
      'DATABASE_URL_FILE',
      'METRICS_PORT',
      'DATABASE_POOL_STALL_LIVENESS_MS',
      'OTEL_SDK_DISABLED',
    ])
      expect(config, name).toContain(name);
    expect(readByCode()).toContain('OTEL_SERVICE_NAME');
    expect(renderedByChart()).toContain('OTEL_TRACES_SAMPLER_ARG');
    expect(otelNamed()).toContain('OTEL_BSP_SCHEDULE_DELAY');
  });

  it('documents every setting, a file-backed one with (`_FILE`), and nothing that is no setting', () => {
    expect(problems(configurationRows(readme), settings)).toEqual([]);
  });

  it('fails on a missing row, a missing (`_FILE`) and a stale row', () => {
    const broken = readme
      .replace(/^\| `METRICS_PORT` .*\n/m, '')
      .replace(/^\| `OTEL_SERVICE_NAME` .*\n/m, '')
      .replace('| `DATABASE_URL` (`_FILE`)', '| `DATABASE_URL`          ')
      .replace(/^(\| `PORT` .*\n)/m, '$1| `ORDEROPS_RETIRED_SETTING` | none | gone |\n');
    expect(problems(configurationRows(broken), settings)).toEqual([
      'DATABASE_URL: row does not say (`_FILE`)',
      'METRICS_PORT: no row',
      'OTEL_SERVICE_NAME: no row',
      'ORDEROPS_RETIRED_SETTING: row for a setting nothing reads',
    ]);
  });
});
