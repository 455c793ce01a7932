import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { IPodSpec } from 'kubernetes-models/v1';

/** A rendered manifest: apiVersion, kind, metadata, and whatever its kind holds. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export type LabelSelector = NonNullable<NonNullable<IDeployment['spec']>['selector']>;

export function idOf(object: K8sObject): string {
  return `${object.kind}/${object.metadata.name}`;
}

export function objectsOfKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** The one object of a kind; throws when there is none or more than one. */
export function single<T = K8sObject>(objects: K8sObject[], kind: string): T {
  const found = objectsOfKind(objects, kind);
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}, found ${found.length}`);
  return found[0] as unknown as T;
}

export function hookOf(object: K8sObject): string[] {
  const hook = object.metadata.annotations?.['helm.sh/hook'];
  return hook ? hook.split(',').map((h) => h.trim()) : [];
}

export function hookWeightOf(object: K8sObject): number {
  return Number.parseInt(object.metadata.annotations?.['helm.sh/hook-weight'] ?? '0', 10);
}

/** A pod spec found in a workload, with the labels its pods carry. */
export interface PodSource {
  owner: K8sObject;
  id: string;
  spec: IPodSpec;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Deployment/StatefulSet/DaemonSet: pods that run until replaced (probes apply). */
  longRunning: boolean;
  /** A helm hook (a pre-install Job, a test pod). */
  hook: string[];
}

const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

export function podSources(objects: K8sObject[]): PodSource[] {
  const sources: PodSource[] = [];
  for (const object of objects) {
    let template:
      | {
          metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
          spec?: IPodSpec;
        }
      | undefined;
    if (LONG_RUNNING.has(object.kind) || object.kind === 'Job') {
      template = (object as unknown as IDeployment | IJob).spec?.template;
    } else if (object.kind === 'CronJob') {
      const cron = object as unknown as { spec?: { jobTemplate?: { spec?: IJob['spec'] } } };
      template = cron.spec?.jobTemplate?.spec?.template;
    } else if (object.kind === 'Pod') {
      template = { metadata: object.metadata, spec: (object as unknown as { spec?: IPodSpec }).spec };
    } else {
      continue;
    }
    if (!template?.spec) continue;
    sources.push({
      owner: object,
      id: idOf(object),
      spec: template.spec,
      labels: template.metadata?.labels ?? {},
      annotations: template.metadata?.annotations ?? {},
      longRunning: LONG_RUNNING.has(object.kind),
      hook: hookOf(object),
    });
  }
  return sources;
}

export function matchesLabels(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>,
): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/** metav1.LabelSelector semantics; an empty selector is refused here (it would select everything). */
export function matchesSelector(
  selector: LabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false;
  const matchLabels = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  if (matchLabels.length === 0 && expressions.length === 0) return false;
  if (!matchLabels.every(([key, value]) => labels[key] === value)) return false;
  return expressions.every((e) => {
    const has = Object.hasOwn(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        return has && values.includes(labels[e.key]);
      case 'NotIn':
        return !has || !values.includes(labels[e.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}
