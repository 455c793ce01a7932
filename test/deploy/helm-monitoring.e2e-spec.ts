import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IConfigMap, IService } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { listenApp } from '../../apps/api/src/app.factory.js';
import { form } from '../support/auth.js';
import { freePort } from '../support/processes.js';
import { useTestApp } from '../support/use-test-app.js';
import { fixture, renderFixture } from './support/fixtures.js';
import { renderChart } from './support/helm.js';
import { matchesSelector, objectsOfKind, single, type K8sObject } from './support/k8s-objects.js';
import { validateAll } from './support/k8s-schema.js';
import {
  alertRules,
  dashboardOf,
  dashboardQueries,
  metricNamesIn,
  renderMonitoring,
  RELEASE_NAMESPACE,
  sampleNames,
} from './support/monitoring.js';

const HELM_TIMEOUT = 180_000;

const deployment = (o: K8sObject[]) => single<IDeployment>(o, 'Deployment');
const podTemplate = (o: K8sObject[]) => deployment(o).spec!.template;
const apiContainer = (o: K8sObject[]) => podTemplate(o).spec!.containers[0];
const service = (o: K8sObject[]) => single<IService>(o, 'Service');
const policy = (o: K8sObject[]) => single<INetworkPolicy>(o, 'NetworkPolicy').spec!;
const config = (o: K8sObject[]) =>
  objectsOfKind(o, 'ConfigMap').find((c) => !c.metadata.name.endsWith('-dashboard')) as IConfigMap;
/** The ingress rules that open a given named port. */
const rulesFor = (o: K8sObject[], port: string) =>
  (policy(o).ingress ?? []).filter((rule) => (rule.ports ?? []).some((p) => p.port === port));

describe('chart: metrics on by default, scraped by annotation', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = (await renderFixture(fixture('default'))).objects;
  }, HELM_TIMEOUT);

  it('serves metrics on their own named container port, configured through METRICS_*', () => {
    expect(apiContainer(objects).ports).toEqual([
      { name: 'http', containerPort: 3000, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9464, protocol: 'TCP' },
    ]);
    expect(config(objects).data).toMatchObject({ METRICS_ENABLED: 'true', METRICS_PORT: '9464' });
  });

  it('annotates the pods for discovery, and renders no ServiceMonitor, rule or dashboard', () => {
    expect(podTemplate(objects).metadata!.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9464',
      'prometheus.io/path': '/metrics',
    });
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) expect(objectsOfKind(objects, kind)).toEqual([]);
    expect(objectsOfKind(objects, 'ConfigMap').map((c) => c.metadata.name)).toEqual(['orderops']);
  });

  it('exposes the metrics port on the Service beside http', () => {
    expect(service(objects).spec!.ports).toEqual([
      { name: 'http', port: 3000, targetPort: 'http', protocol: 'TCP' },
      { name: 'metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP' },
    ]);
  });

  it('admits only the scraper, and only to the metrics port', () => {
    const metrics = rulesFor(objects, 'metrics');
    expect(metrics).toHaveLength(1);
    expect(metrics[0].ports).toEqual([{ port: 'metrics', protocol: 'TCP' }]);
    // One peer with both selectors: pods of that name in that namespace, not either alone.
    expect(metrics[0].from).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
      },
    ]);
    // The http rule's peers never reach the metrics port, and the scraper never reaches http.
    for (const rule of rulesFor(objects, 'http')) {
      expect(rule.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
      expect(JSON.stringify(rule.from)).not.toContain('prometheus');
    }
  });
});

describe('chart: metrics off', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = (
      await renderFixture(fixture('default'), {
        setJson: [
          'metrics.enabled=false',
          // Each of these needs the metrics: none renders without them.
          'metrics.serviceMonitor.enabled=true',
          'metrics.prometheusRule.enabled=true',
          'metrics.dashboard.enabled=true',
        ],
      })
    ).objects;
  }, HELM_TIMEOUT);

  it('turns the endpoint off and opens no port for it anywhere', () => {
    expect(config(objects).data).toMatchObject({ METRICS_ENABLED: 'false' });
    expect(apiContainer(objects).ports?.map((p) => p.name)).toEqual(['http']);
    expect(service(objects).spec!.ports!.map((p) => p.name)).toEqual(['http']);
    expect(rulesFor(objects, 'metrics')).toEqual([]);
    expect(Object.keys(podTemplate(objects).metadata!.annotations ?? {})).not.toContain(
      'prometheus.io/scrape',
    );
    for (const kind of ['ServiceMonitor', 'PrometheusRule']) expect(objectsOfKind(objects, kind)).toEqual([]);
    expect(objectsOfKind(objects, 'ConfigMap')).toHaveLength(1);
  });
});

describe('chart: ServiceMonitor, PrometheusRule and dashboard', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await renderMonitoring([
      'metrics.serviceMonitor.labels={"release":"kube-prometheus-stack"}',
      'metrics.prometheusRule.labels={"release":"kube-prometheus-stack"}',
      'metrics.scraper.from=[{"namespaceSelector":{"matchLabels":{"team":"observability"}},"podSelector":{"matchLabels":{"app":"vmagent"}}}]',
    ]);
  }, HELM_TIMEOUT);

  it('validates against the Prometheus Operator and Kubernetes schemas', async () => {
    expect(await validateAll(objects)).toEqual([]);
  });

  it('points the ServiceMonitor at the Service’s metrics port, and drops the scrape annotations', () => {
    const monitor = single<{
      metadata: { labels: Record<string, string> };
      spec: {
        selector: { matchLabels: Record<string, string> };
        namespaceSelector: { matchNames: string[] };
        endpoints: { port: string; path: string; interval: string }[];
      };
    }>(objects, 'ServiceMonitor');
    expect(monitor.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: [RELEASE_NAMESPACE] });
    const svc = service(objects);
    expect(matchesSelector(monitor.spec.selector, svc.metadata!.labels ?? {})).toBe(true);
    expect(monitor.spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', scheme: 'http', interval: '30s', scrapeTimeout: '10s' },
    ]);
    expect(svc.spec!.ports!.map((p) => p.name)).toContain('metrics');
    expect(Object.keys(podTemplate(objects).metadata!.annotations ?? {})).not.toContain(
      'prometheus.io/scrape',
    );
  });

  it('admits the configured scraper to the metrics port', () => {
    expect(rulesFor(objects, 'metrics')[0].from).toEqual([
      {
        namespaceSelector: { matchLabels: { team: 'observability' } },
        podSelector: { matchLabels: { app: 'vmagent' } },
      },
    ]);
  });

  it('ships one alert for each failure the issue names, labelled with a severity', () => {
    const rules = alertRules(objects);
    expect(rules.map((r) => r.alert)).toEqual([
      'OrderOpsHighErrorRatio',
      'OrderOpsHighLatencyP99',
      'OrderOpsDatabasePoolSaturated',
      'OrderOpsDatabaseTimeouts',
      'OrderOpsDatabasePoolStalled',
      'OrderOpsReadinessFlapping',
      'OrderOpsLoginFailureSpike',
      'OrderOpsAuditVerifyFailed',
      'OrderOpsImportFailures',
    ]);
    for (const rule of rules) {
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      // Every expression is scoped to the release's namespace.
      expect(rule.expr).toContain(`namespace="${RELEASE_NAMESPACE}"`);
    }
    expect(single(objects, 'PrometheusRule').metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it(
    'takes the thresholds and the series selector from the values',
    async () => {
      const custom = alertRules(
        await renderMonitoring([
          'metrics.prometheusRule.seriesSelector="job=\\"orderops\\""',
          'metrics.prometheusRule.thresholds.errorRatio=0.2',
        ]),
      );
      const errors = custom.find((r) => r.alert === 'OrderOpsHighErrorRatio')!;
      expect(errors.expr).toContain('> 0.2');
      expect(errors.expr).toContain('{job="orderops",status_class="5xx"}');
      expect(errors.expr).not.toContain('namespace=');
    },
    HELM_TIMEOUT,
  );

  it.each([
    ['an empty scraper list (the metrics port admitting nobody, silently)', 'metrics.scraper.from=[]'],
    [
      'a series selector that is not label matchers',
      'metrics.prometheusRule.seriesSelector="up} or vector(1"',
    ],
    ['an error ratio above 1', 'metrics.prometheusRule.thresholds.errorRatio=5'],
  ])(
    'refuses %s',
    async (_case, setJson) => {
      const result = await renderChart({ values: [fixture('default').file], setJson: [setJson] });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('values don');
    },
    HELM_TIMEOUT,
  );

  it('labels the dashboard ConfigMap for the Grafana sidecar, with RED, pool, auth and audit panels', () => {
    const { configMap, dashboard } = dashboardOf(objects);
    expect(configMap.metadata.labels?.grafana_dashboard).toBe('1');
    const queries = dashboardQueries(dashboard).join('\n');
    for (const metric of [
      'orderops_http_requests_total',
      'orderops_http_request_duration_seconds_bucket',
      'orderops_db_pool_in_use',
      'orderops_auth_login_failures_total',
      'orderops_audit_chain_head_seq',
      'orderops_audit_verify_failures_total',
    ]) {
      expect(queries).toContain(metric);
    }
  });
});

const [apiPort, metricsPort] = [await freePort(), await freePort()];

describe('every metric the rules and the dashboard read is one the API exports', () => {
  const t = useTestApp({
    env: { HOST: '127.0.0.1', PORT: String(apiPort), METRICS_PORT: String(metricsPort) },
  });
  let exported: Set<string>;
  let objects: K8sObject[];
  beforeAll(async () => {
    await listenApp(t.app, t.config);
    // Labelled series appear once something happened: a request, a refused sign-in.
    const api = `http://127.0.0.1:${apiPort}`;
    await (await fetch(`${api}/health/live`)).arrayBuffer();
    await (await fetch(`${api}/health/ready`)).arrayBuffer();
    await (
      await fetch(`${api}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ grant_type: 'password', client_id: 'orderops-web', username: 'nobody', password: 'x' }),
      })
    ).arrayBuffer();
    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    exported = sampleNames(await scraped.text());
    objects = await renderMonitoring();
  }, HELM_TIMEOUT);

  const unexported = (exprs: string[]): string[] =>
    [...new Set(exprs.flatMap(metricNamesIn))].filter((name) => !exported.has(name));

  it('the check itself: it finds names in an expression and refuses a misspelt one', () => {
    expect(metricNamesIn('sum by (route) (rate(orderops_http_requests_total{route="x"}[5m]))')).toEqual([
      'orderops_http_requests_total',
    ]);
    expect(unexported(['rate(orderops_http_request_total[5m])'])).toEqual(['orderops_http_request_total']);
  });

  it('holds for every alert expression', () => {
    const rules = alertRules(objects);
    for (const rule of rules) expect(metricNamesIn(rule.expr), rule.alert).not.toEqual([]);
    expect(unexported(rules.map((r) => r.expr))).toEqual([]);
  });

  it('holds for every dashboard query', () => {
    const queries = dashboardQueries(dashboardOf(objects).dashboard);
    expect(queries.length).toBeGreaterThan(15);
    for (const query of queries) expect(metricNamesIn(query), query).not.toEqual([]);
    expect(unexported(queries)).toEqual([]);
  });
});

describe('chart: tracing', () => {
  const egressTo = (o: K8sObject[], port: number) =>
    (policy(o).egress ?? []).filter((rule) => (rule.ports ?? []).some((p) => p.port === port));
  let off: K8sObject[];
  let on: K8sObject[];
  beforeAll(async () => {
    off = (await renderFixture(fixture('default'))).objects;
    on = (
      await renderFixture(fixture('default'), {
        setJson: [
          'tracing.endpoint="http://otel-collector.observability:4318"',
          'tracing.sampleRatio=0.25',
          'tracing.networkPeers=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"observability"}}}]',
        ],
      })
    ).objects;
  }, HELM_TIMEOUT);

  it('is off by default: no OTEL_* setting and no egress to a collector', () => {
    expect(Object.keys(config(off).data ?? {}).filter((k) => k.startsWith('OTEL_'))).toEqual([]);
    expect(egressTo(off, 4318)).toEqual([]);
  });

  it('with an endpoint: the SDK settings in the ConfigMap and egress to the collector port only', () => {
    expect(config(on).data).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    const [rule, ...others] = egressTo(on, 4318);
    expect(others).toEqual([]);
    expect(rule.ports).toEqual([{ port: 4318, protocol: 'TCP' }]);
    expect(rule.to).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } },
    ]);
  });

  it.each([
    ['an endpoint without a scheme', 'tracing.endpoint="otel-collector:4318"'],
    ['an endpoint with credentials in it', 'tracing.endpoint="https://user:s3cr3t@collector:4318"'],
  ])(
    'refuses %s, without quoting it',
    async (_case, setJson) => {
      const result = await renderChart({ values: [fixture('default').file], setJson: [setJson] });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(
        'tracing.endpoint must be an http:// or https:// URL without credentials',
      );
      expect(result.stderr).not.toContain('s3cr3t');
      expect(result.stderr).not.toContain('otel-collector:4318');
    },
    HELM_TIMEOUT,
  );

  it(
    'refuses a sampling ratio above 1',
    async () => {
      const result = await renderChart({
        values: [fixture('default').file],
        setJson: ['tracing.sampleRatio=2'],
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('values don');
    },
    HELM_TIMEOUT,
  );
});
