import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenApp } from '../../apps/api/src/app.factory.js';
import { asOwnerWithoutTriggers, sequenceNow, storedEvents, verifyViaApi } from '../support/audit.js';
import { freePort } from '../support/processes.js';
import { makeTempDir } from '../support/test-database.js';
import { useTestApp } from '../support/use-test-app.js';
import {
  alertRules,
  prometheusSkipReason,
  PROMETHEUS_BINARY,
  PROMTOOL_BINARY,
  renderMonitoring,
  RELEASE_NAMESPACE,
  ruleGroups,
  type AlertRule,
} from './support/monitoring.js';

const HELM_TIMEOUT = 180_000;
const skipReason = prometheusSkipReason();
// The default reporter shows a skipped file without its describe names: say why here too.
if (skipReason) process.stderr.write(`test/deploy/prometheus.e2e-spec.ts ${skipReason}\n`);
const POD = 'orderops-7d9f-abcde';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Series of one case: `name{labels}` -> promtool's expanding notation. */
type Series = Record<string, string>;

interface AlertCase {
  alert: string;
  /** Labels the alert carries beside alertname and severity: what its expression keeps. */
  by: 'namespace' | 'pod';
  fires: Series;
  quiet: Series[];
  evalTime: string;
}

const ns = `namespace="${RELEASE_NAMESPACE}"`;
const pod = `${ns},pod="${POD}"`;
const http = (statusClass: string) =>
  `orderops_http_requests_total{${pod},method="GET",route="/orders",status_class="${statusClass}"}`;
const bucket = (le: string) =>
  `orderops_http_request_duration_seconds_bucket{${pod},method="GET",route="/orders",status_class="2xx",le="${le}"}`;

/** For every alert, input series that must fire it and series that must not. */
const CASES: AlertCase[] = [
  {
    alert: 'OrderOpsHighErrorRatio',
    by: 'namespace',
    fires: { [http('5xx')]: '0+10x30', [http('2xx')]: '0+90x30' },
    quiet: [{ [http('5xx')]: '0+1x30', [http('2xx')]: '0+99x30' }],
    evalTime: '20m',
  },
  {
    alert: 'OrderOpsHighLatencyP99',
    by: 'namespace',
    fires: {
      [bucket('0.5')]: '0x40',
      [bucket('1')]: '0x40',
      [bucket('2.5')]: '0+10x40',
      [bucket('+Inf')]: '0+10x40',
    },
    quiet: [
      {
        [bucket('0.5')]: '0+10x40',
        [bucket('1')]: '0+10x40',
        [bucket('2.5')]: '0+10x40',
        [bucket('+Inf')]: '0+10x40',
      },
    ],
    evalTime: '30m',
  },
  {
    alert: 'OrderOpsDatabasePoolSaturated',
    by: 'pod',
    fires: { [`orderops_db_pool_in_use{${pod}}`]: '10x30', [`orderops_db_pool_max{${pod}}`]: '10x30' },
    quiet: [{ [`orderops_db_pool_in_use{${pod}}`]: '8x30', [`orderops_db_pool_max{${pod}}`]: '10x30' }],
    evalTime: '20m',
  },
  {
    alert: 'OrderOpsDatabaseTimeouts',
    by: 'pod',
    fires: { [`orderops_db_query_errors_total{${pod},class="timeout"}`]: '0+3x20' },
    // Constraint violations are the callers' doing: however many, no timeout alert.
    quiet: [
      {
        [`orderops_db_query_errors_total{${pod},class="timeout"}`]: '0x20',
        [`orderops_db_query_errors_total{${pod},class="constraint"}`]: '0+100x20',
      },
    ],
    evalTime: '10m',
  },
  {
    alert: 'OrderOpsDatabasePoolStalled',
    by: 'pod',
    fires: { [`orderops_db_pool_stalled_seconds{${pod}}`]: '30x20' },
    quiet: [{ [`orderops_db_pool_stalled_seconds{${pod}}`]: '5x20' }],
    evalTime: '10m',
  },
  {
    alert: 'OrderOpsReadinessFlapping',
    by: 'pod',
    fires: { [`orderops_health_readiness_changes_total{${pod}}`]: '0+1x30' },
    // One outage: down and up again, two changes.
    quiet: [{ [`orderops_health_readiness_changes_total{${pod}}`]: '0x10 1 2+0x18' }],
    evalTime: '20m',
  },
  {
    alert: 'OrderOpsLoginFailureSpike',
    by: 'namespace',
    fires: { [`orderops_auth_login_failures_total{${pod},reason="bad_password"}`]: '0+120x30' },
    quiet: [{ [`orderops_auth_login_failures_total{${pod},reason="bad_password"}`]: '0+30x30' }],
    evalTime: '20m',
  },
  {
    alert: 'OrderOpsAuditVerifyFailed',
    by: 'namespace',
    fires: { [`orderops_audit_verify_failures_total{${pod},reason="hash_mismatch"}`]: '0 0 0 1+0x10' },
    quiet: [{ [`orderops_audit_verify_failures_total{${pod},reason="hash_mismatch"}`]: '0x13' }],
    evalTime: '10m',
  },
  {
    alert: 'OrderOpsImportFailures',
    by: 'namespace',
    fires: {
      [`orderops_imports_total{${pod},status="failed"}`]: '0+1x40',
      [`orderops_imports_total{${pod},status="completed"}`]: '0x40',
    },
    quiet: [
      // Failures, but a small share of the imports.
      {
        [`orderops_imports_total{${pod},status="failed"}`]: '0+1x40',
        [`orderops_imports_total{${pod},status="completed"}`]: '0+9x40',
      },
      // All failed, but only two: below the floor of three.
      {
        [`orderops_imports_total{${pod},status="failed"}`]: '0x20 1 2+0x19',
        [`orderops_imports_total{${pod},status="completed"}`]: '0x41',
      },
    ],
    evalTime: '35m',
  },
];

/** What promtool should see firing: the rule's labels and annotations, templated for POD. */
function expectedAlert(rule: AlertRule, by: AlertCase['by']): Record<string, unknown> {
  const labels: Record<string, string> = { ...rule.labels, namespace: RELEASE_NAMESPACE };
  if (by === 'pod') labels.pod = POD;
  const annotations = Object.fromEntries(
    Object.entries(rule.annotations ?? {}).map(([k, v]) => [k, v.replaceAll('{{ $labels.pod }}', POD)]),
  );
  return { exp_labels: labels, exp_annotations: annotations };
}

function testGroup(series: Series, c: AlertCase, exp: Record<string, unknown>[]): Record<string, unknown> {
  return {
    interval: '1m',
    input_series: Object.entries(series).map(([s, values]) => ({ series: s, values })),
    alert_rule_test: [{ eval_time: c.evalTime, alertname: c.alert, exp_alerts: exp }],
  };
}

function promtool(args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(PROMTOOL_BINARY, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe.skipIf(skipReason !== undefined)(
  `the chart's alert rules, checked by promtool${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    let dir: string;
    let rules: AlertRule[];
    beforeAll(async () => {
      dir = makeTempDir('orderops-promtool-');
      const objects = await renderMonitoring();
      rules = alertRules(objects);
      writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: ruleGroups(objects) }));
    }, HELM_TIMEOUT);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('pass promtool check rules as rendered by helm', () => {
      const result = promtool(['check', 'rules', 'rules.yaml'], dir);
      expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(result.status).toBe(0);
    });

    it('the check itself fails on a broken expression', () => {
      const broken = rules.map((r, i) => (i === 0 ? { ...r, expr: `${r.expr} and (` } : r));
      writeFileSync(join(dir, 'broken.yaml'), stringify({ groups: [{ name: 'broken', rules: broken }] }));
      const result = promtool(['check', 'rules', 'broken.yaml'], dir);
      expect(result.status).not.toBe(0);
      expect(result.output).toContain('FAILED');
    });

    it('has a unit test case for every alert', () => {
      expect(CASES.map((c) => c.alert).sort()).toEqual(rules.map((r) => r.alert).sort());
    });

    it('fire on the series of an incident and stay quiet on healthy ones (promtool test rules)', () => {
      const groups = CASES.flatMap((c) => {
        const rule = rules.find((r) => r.alert === c.alert)!;
        return [
          testGroup(c.fires, c, [expectedAlert(rule, c.by)]),
          ...c.quiet.map((q) => testGroup(q, c, [])),
        ];
      });
      writeFileSync(
        join(dir, 'rules.test.yaml'),
        stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests: groups }),
      );
      const result = promtool(['test', 'rules', 'rules.test.yaml'], dir);
      expect(result.output).toContain('SUCCESS');
      expect(result.status, result.output).toBe(0);
    });

    it('the unit tests themselves fail when an alert is expected and does not fire', () => {
      const c = CASES[0];
      const rule = rules.find((r) => r.alert === c.alert)!;
      writeFileSync(
        join(dir, 'wrong.test.yaml'),
        stringify({
          rule_files: ['rules.yaml'],
          evaluation_interval: '1m',
          tests: [testGroup(c.quiet[0], c, [expectedAlert(rule, c.by)])],
        }),
      );
      const result = promtool(['test', 'rules', 'wrong.test.yaml'], dir);
      expect(result.status).not.toBe(0);
      // Refused for the missing alert, not for a malformed file.
      expect(result.output).toMatch(/alertname: OrderOpsHighErrorRatio[\s\S]*got:\s*\[\]/);
    });
  },
);

const [apiPort, metricsPort, prometheusPort] = [await freePort(), await freePort(), await freePort()];

interface QueryAnswer {
  status: string;
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

describe.skipIf(skipReason !== undefined)(
  `a real Prometheus scraping a running API${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    const t = useTestApp({
      env: { HOST: '127.0.0.1', PORT: String(apiPort), METRICS_PORT: String(metricsPort) },
      operators: { auditor: ['audit:read'] },
      signIn: ['auditor'],
    });
    const prometheus = `http://127.0.0.1:${prometheusPort}`;
    let dir: string;
    let server: ChildProcess | undefined;
    let log = '';

    async function query(promql: string): Promise<QueryAnswer['data']['result']> {
      const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as QueryAnswer;
      expect(body.status).toBe('success');
      return body.data.result;
    }

    async function eventually<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
      for (let i = 0; i < 120; i++) {
        const value = await attempt().catch(() => undefined);
        if (value !== undefined) return value;
        await sleep(250);
      }
      throw new Error(`${what} never happened; prometheus said:\n${log.slice(-2000)}`);
    }

    beforeAll(async () => {
      await listenApp(t.app, t.config);
      dir = makeTempDir('orderops-prometheus-');
      const objects = await renderMonitoring();
      writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: ruleGroups(objects) }));
      writeFileSync(
        join(dir, 'prometheus.yml'),
        stringify({
          global: { scrape_interval: '1s', evaluation_interval: '1s' },
          rule_files: ['rules.yaml'],
          scrape_configs: [
            {
              job_name: 'orderops',
              static_configs: [
                {
                  targets: [`127.0.0.1:${metricsPort}`],
                  // What the Prometheus Operator's discovery would attach; the rules select by it.
                  labels: { namespace: RELEASE_NAMESPACE, pod: POD },
                },
              ],
            },
          ],
        }),
      );
      server = spawn(
        PROMETHEUS_BINARY,
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${prometheusPort}`,
          '--log.level=warn',
        ],
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      server.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      server.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      await eventually('Prometheus ready', async () =>
        (await fetch(`${prometheus}/-/ready`)).ok ? true : undefined,
      );
    }, HELM_TIMEOUT);

    afterAll(async () => {
      if (server && server.exitCode === null) {
        const exited = new Promise((resolve) => server!.once('exit', resolve));
        server.kill('SIGTERM');
        await exited;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('scrapes the metrics port: up is 1 and the API’s request series come back through the HTTP API', async () => {
      const up = await eventually('a successful scrape', async () => {
        const result = await query('up{job="orderops"}');
        return result[0]?.value[1] === '1' ? result : undefined;
      });
      expect(up[0].metric).toMatchObject({
        instance: `127.0.0.1:${metricsPort}`,
        namespace: RELEASE_NAMESPACE,
      });

      for (let i = 0; i < 3; i++)
        await (await fetch(`http://127.0.0.1:${apiPort}/health/live`)).arrayBuffer();
      const requests = await eventually('the request series', async () => {
        const result = await query(
          'orderops_http_requests_total{job="orderops",route="/health/live",status_class="2xx"}',
        );
        return Number(result[0]?.value[1]) >= 3 ? result : undefined;
      });
      expect(requests[0].metric).toMatchObject({ method: 'GET', pod: POD });
      // The API's public port is not scraped and does not serve metrics.
      expect((await fetch(`http://127.0.0.1:${apiPort}/metrics`)).status).toBe(404);
    });

    it('evaluates every rule without error, none firing on a healthy API', async () => {
      const rules = await eventually('rules evaluated', async () => {
        const res = await fetch(`${prometheus}/api/v1/rules?type=alert`);
        const body = (await res.json()) as {
          data: {
            groups: { rules: { name: string; health: string; state: string; lastError?: string }[] }[];
          };
        };
        const all = body.data.groups.flatMap((g) => g.rules);
        return all.length > 0 && all.every((r) => r.health === 'ok') ? all : undefined;
      });
      expect(rules).toHaveLength(CASES.length);
      expect(rules.filter((r) => r.state !== 'inactive').map((r) => r.name)).toEqual([]);
    });

    it('fires OrderOpsAuditVerifyFailed once GET /audit/verify finds a break', async () => {
      const ds = t.app.get(DataSource);
      await sequenceNow(t.app);
      const [target] = await storedEvents(ds);
      await asOwnerWithoutTriggers(ds, (m) =>
        m.query(`UPDATE audit_events SET action = 'tampered.event' WHERE seq = $1`, [target.seq]),
      );
      try {
        expect((await verifyViaApi(t.app, t.token('auditor'))).brokenAt?.reason).toBe('hash_mismatch');
      } finally {
        await asOwnerWithoutTriggers(ds, (m) =>
          m.query(`UPDATE audit_events SET action = $2 WHERE seq = $1`, [target.seq, target.action]),
        );
      }
      const firing = await eventually('the audit alert', async () => {
        const res = await fetch(`${prometheus}/api/v1/alerts`);
        const body = (await res.json()) as {
          data: { alerts: { labels: Record<string, string>; state: string }[] };
        };
        return body.data.alerts.find(
          (a) => a.labels.alertname === 'OrderOpsAuditVerifyFailed' && a.state === 'firing',
        );
      });
      expect(firing.labels).toMatchObject({ severity: 'critical', namespace: RELEASE_NAMESPACE });
    });
  },
);
