import { existsSync } from 'node:fs';
import { renderFixture, fixture } from './fixtures.js';
import { single, type K8sObject } from './k8s-objects.js';

/** The namespace the monitoring renders use: the rules select series by it. */
export const RELEASE_NAMESPACE = 'orderops';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

/** The default fixture with the ServiceMonitor, the PrometheusRule and the dashboard on. */
export async function renderMonitoring(setJson: string[] = []): Promise<K8sObject[]> {
  const rendered = await renderFixture(fixture('default'), {
    namespace: RELEASE_NAMESPACE,
    setJson: [
      'metrics.serviceMonitor.enabled=true',
      'metrics.prometheusRule.enabled=true',
      'metrics.dashboard.enabled=true',
      ...setJson,
    ],
  });
  return rendered.objects;
}

export function ruleGroups(objects: K8sObject[]): RuleGroup[] {
  return single<{ spec: { groups: RuleGroup[] } }>(objects, 'PrometheusRule').spec.groups;
}

export function alertRules(objects: K8sObject[]): AlertRule[] {
  return ruleGroups(objects).flatMap((group) => group.rules);
}

interface DashboardPanel {
  title?: string;
  targets?: { expr: string }[];
}

export interface Dashboard {
  panels: DashboardPanel[];
  templating: { list: { name: string; query?: unknown; definition?: string }[] };
}

export function dashboardOf(objects: K8sObject[]): { configMap: K8sObject; dashboard: Dashboard } {
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard'));
  if (!configMap) throw new Error('no dashboard ConfigMap rendered');
  const data = (configMap as unknown as { data: Record<string, string> }).data;
  return { configMap, dashboard: JSON.parse(data['orderops.json']) as Dashboard };
}

/** Every PromQL query of the dashboard: panel targets and the variables' label_values queries. */
export function dashboardQueries(dashboard: Dashboard): string[] {
  return [
    ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)),
    ...dashboard.templating.list.flatMap((variable) => (variable.definition ? [variable.definition] : [])),
  ];
}

/**
 * The metric names a PromQL expression reads. Ours and the Node collectors' carry fixed
 * prefixes; label names (route, le, ...) and functions never do.
 */
export function metricNamesIn(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b((?:orderops|nodejs|process)_[a-z0-9_]+)\b/g)].map((m) => m[1]))];
}

/** The names of the samples in an exposition text (`_bucket`, `_sum`, `_count` as they are). */
export function sampleNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    names.add(/^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0]);
  }
  return names;
}

/** Debian's prometheus package: the server and promtool. */
export const PROMETHEUS_BINARY = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';
export const PROMTOOL_BINARY = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';

/**
 * Why the Prometheus suites skip, or undefined when they run. They skip only on a machine
 * without the binaries that is not CI; in CI (`.ci/run` installs the package) a missing
 * binary fails them instead.
 */
export function prometheusSkipReason(): string | undefined {
  const missing = [PROMETHEUS_BINARY, PROMTOOL_BINARY].filter((path) => !existsSync(path));
  if (missing.length === 0 || process.env.CI) return undefined;
  return `skipped: ${missing.join(' and ')} missing (apt-get install prometheus; CI installs it and never skips)`;
}
