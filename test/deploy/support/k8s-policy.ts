import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IIngress, INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IConfigMap, IContainer, IEnvVar, IService, IServiceAccount } from 'kubernetes-models/v1';
import { heapCapsOf, memoryMiB } from './node-heap.js';
import {
  hookOf,
  hookWeightOf,
  idOf,
  matchesLabels,
  matchesSelector,
  objectsOfKind,
  podSources,
  type K8sObject,
  type PodSource,
} from './k8s-objects.js';

/**
 * Policy rules over rendered manifests: the Pod Security Standards "restricted" profile and
 * the house rules of issue 7, per pod spec and across objects. Every rule has an id; the
 * negative tests break each one and expect exactly that id.
 */
export const POLICY_RULES = {
  // Pod Security Standards "restricted", for every pod spec (Deployment, Job, test Pod).
  'PSS-HOST-NAMESPACES': 'no hostNetwork, hostPID or hostIPC',
  'PSS-PRIVILEGED': 'no privileged container',
  'PSS-HOST-PORTS': 'no hostPort',
  'PSS-VOLUME-TYPES':
    'only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret volumes',
  'PSS-RUN-AS-NON-ROOT': 'runAsNonRoot true for every container (pod or container level), never false',
  'PSS-RUN-AS-USER': 'runAsUser and runAsGroup set and >= 10000 (fsGroup too, when set)',
  'PSS-PRIVILEGE-ESCALATION': 'allowPrivilegeEscalation false on every container',
  'PSS-CAPABILITIES': 'capabilities drop ALL; add nothing but NET_BIND_SERVICE',
  'PSS-SECCOMP': 'seccompProfile RuntimeDefault or Localhost, never Unconfined',
  // House rules for every pod spec.
  'POD-READONLY-ROOT': 'readOnlyRootFilesystem true on every container',
  'POD-TMP-EMPTYDIR': 'every container mounts an emptyDir at /tmp',
  'POD-RESOURCES': 'cpu and memory requests and limits on every container',
  'POD-SA-TOKEN': 'automountServiceAccountToken false in the pod spec',
  'POD-IMAGE-PINNED': 'images carry a tag other than latest, or a digest',
  'POD-NO-LITERAL-SECRET':
    'no secret as a literal env value: secrets come from secretKeyRef or *_FILE in a Secret volume',
  'POD-NODE-ENV': 'application containers run with NODE_ENV=production',
  'POD-NODE-HEAP':
    'application containers cap the V8 heap in NODE_OPTIONS; old space plus two semi-spaces fit in 75% of the memory limit',
  'POD-REQUIRED-SECRETS':
    'application containers (the API and the migration Job) are given every secret production requires',
  'POD-SECRET-FILE-MODE': 'Secret-backed volumes are not world-readable (defaultMode and item modes)',
  'POD-PROBES':
    'long-running containers have startup, readiness and liveness HTTP probes on /health/*, readiness != liveness',
  // Objects and cross-object rules.
  'SA-TOKEN': 'ServiceAccounts set automountServiceAccountToken false',
  'CM-NO-SECRET': 'ConfigMaps hold no secret-named key and no credential-looking value',
  'CHECKSUM-ANNOTATIONS': 'Deployment pod templates carry checksum/config and checksum/secret (sha256)',
  'SVC-SELECTOR': 'each Service selects the pods of a long-running workload and no hook pod',
  'SVC-TARGET-PORT': "each Service port targets a port the selected pods' containers declare",
  'PDB-SELECTOR': 'each PodDisruptionBudget selects the pods of a long-running workload',
  'NP-SELECTOR': 'a NetworkPolicy selects the pods of every long-running workload, and each selects some',
  'NP-INGRESS': 'ingress: policy type set, every rule names peers and only the HTTP port',
  'NP-EGRESS': 'egress: policy type set, every rule names ports, all among DNS, the database and Redis',
  'HPA-TARGET':
    'each HPA targets a rendered Deployment that leaves replicas unset, minReplicas <= maxReplicas',
  'HOOK-JOB':
    'hook Jobs run on pre-install and pre-upgrade with before-hook-creation and run the CLI migrate command',
  'HOOK-JOB-REFS':
    'a hook Job references one Secret (the credentials one) and nothing the release creates after it',
  'INGRESS-TLS':
    'each Ingress host is covered by a TLS entry, unless the Ingress declares TLS terminated upstream (orderops.io/tls-terminated-upstream) and has no tls section at all',
  'HELM-TEST-READY': 'a helm test pod calls /health/ready',
} as const;

export type RuleId = keyof typeof POLICY_RULES;

export interface Violation {
  rule: RuleId;
  object: string;
  message: string;
}

export interface PolicyOptions {
  /** Egress ports the API may reach: DNS, the database and, when enabled, Redis. */
  allowedEgressPorts: number[];
}

/** The chart's marker on an Ingress whose TLS a load balancer in front of it terminates. */
export const TLS_UPSTREAM_ANNOTATION = 'orderops.io/tls-terminated-upstream';

export const DEFAULT_POLICY_OPTIONS: PolicyOptions = { allowedEgressPorts: [53, 5432, 6379] };

const MIN_ID = 10000;

/** Names of settings that hold secrets (README, Configuration) and generic secret-ish names. */
const SECRET_NAMES = new Set([
  'DATABASE_URL',
  'REDIS_URL',
  'ORDEROPS_MASTER_KEYS',
  'ORDEROPS_BLIND_INDEX_KEY',
  'ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD',
]);

/**
 * Secrets without which the API and the CLI refuse to start in production (README,
 * Configuration). How each is given is POD-NO-LITERAL-SECRET's concern; this is presence.
 */
export const REQUIRED_SECRETS = ['DATABASE_URL', 'ORDEROPS_MASTER_KEYS', 'ORDEROPS_BLIND_INDEX_KEY'] as const;
const SECRET_NAME_PATTERN = /(PASSWORD|PASSWD|SECRET|PRIVATE_KEY|API_KEY|MASTER_KEYS?|CREDENTIALS?|_TOKEN)$/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAMES.has(name) || SECRET_NAME_PATTERN.test(name);
}

/** A value that looks like a credential whatever its name. */
export function looksLikeCredential(value: string): boolean {
  return (
    /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i.test(value) || // URL with user:password
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value) ||
    /(^|,)\s*v[0-9]+:[A-Za-z0-9+/]{42,}={0,2}/.test(value) || // master key ring
    /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./.test(value) // JWT
  );
}

function allContainers(pod: PodSource): IContainer[] {
  return [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
}

type PodCheck = (pod: PodSource, report: (message: string) => void) => void;

const ALLOWED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/**
 * Where a container sees Secret content: exact file paths of the items a Secret source
 * projects, and mount paths under which a Secret source without items projects every key.
 */
function secretFiles(pod: PodSource, container: IContainer): { files: Set<string>; dirs: string[] } {
  const files = new Set<string>();
  const dirs: string[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.spec.volumes ?? []).find((v) => v.name === mount.name);
    if (!volume || mount.subPath !== undefined) continue;
    const sources = [
      ...(volume.secret ? [volume.secret.items] : []),
      ...(volume.projected?.sources ?? []).filter((s) => s.secret !== undefined).map((s) => s.secret?.items),
    ];
    for (const items of sources) {
      if (items === undefined) dirs.push(mount.mountPath);
      else for (const item of items) files.add(`${mount.mountPath.replace(/\/+$/, '')}/${item.path}`);
    }
  }
  return { files, dirs };
}

function envValueIsSafe(pod: PodSource, container: IContainer, env: IEnvVar): string | undefined {
  if (env.value === undefined) {
    if (isSecretName(env.name) && env.valueFrom?.configMapKeyRef) return `${env.name} comes from a ConfigMap`;
    if (isSecretName(env.name) && env.valueFrom?.fieldRef) return `${env.name} comes from a field`;
    return undefined;
  }
  if (looksLikeCredential(env.value)) return `${env.name} holds a credential-looking literal`;
  if (env.name.endsWith('_FILE') && isSecretName(env.name.slice(0, -'_FILE'.length))) {
    const { files, dirs } = secretFiles(pod, container);
    if (!files.has(env.value) && !dirs.some((d) => env.value?.startsWith(`${d.replace(/\/+$/, '')}/`)))
      return `${env.name} does not name a file a Secret volume projects`;
    return undefined;
  }
  if (isSecretName(env.name)) return `${env.name} is a secret given as a literal`;
  return undefined;
}

function httpProbe(
  container: IContainer,
  kind: 'startupProbe' | 'readinessProbe' | 'livenessProbe',
): string | undefined {
  const path = container[kind]?.httpGet?.path;
  return typeof path === 'string' && path.startsWith('/health/') ? path : undefined;
}

const POD_CHECKS: Partial<Record<RuleId, PodCheck>> = {
  'PSS-HOST-NAMESPACES': (pod, report) => {
    for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const)
      if (pod.spec[field] === true) report(`${field} is true`);
  },
  'PSS-PRIVILEGED': (pod, report) => {
    for (const c of allContainers(pod))
      if (c.securityContext?.privileged === true) report(`${c.name} is privileged`);
  },
  'PSS-HOST-PORTS': (pod, report) => {
    for (const c of allContainers(pod))
      for (const p of c.ports ?? []) if (p.hostPort) report(`${c.name} uses hostPort ${p.hostPort}`);
  },
  'PSS-VOLUME-TYPES': (pod, report) => {
    for (const volume of pod.spec.volumes ?? []) {
      const types = Object.keys(volume).filter((k) => k !== 'name');
      for (const type of types)
        if (!ALLOWED_VOLUME_TYPES.has(type)) report(`volume ${volume.name} is ${type}`);
    }
  },
  'PSS-RUN-AS-NON-ROOT': (pod, report) => {
    const podLevel = pod.spec.securityContext?.runAsNonRoot;
    for (const c of allContainers(pod)) {
      const own = c.securityContext?.runAsNonRoot;
      if (own === false || (podLevel === false && own !== true)) report(`${c.name} allows root`);
      else if ((own ?? podLevel) !== true) report(`${c.name} does not set runAsNonRoot`);
    }
  },
  'PSS-RUN-AS-USER': (pod, report) => {
    const psc = pod.spec.securityContext;
    if (psc?.fsGroup !== undefined && psc.fsGroup < MIN_ID) report(`fsGroup ${psc.fsGroup} < ${MIN_ID}`);
    for (const c of allContainers(pod)) {
      const user = c.securityContext?.runAsUser ?? psc?.runAsUser;
      const group = c.securityContext?.runAsGroup ?? psc?.runAsGroup;
      if (user === undefined || user < MIN_ID)
        report(`${c.name} runAsUser ${String(user)} is not >= ${MIN_ID}`);
      if (group === undefined || group < MIN_ID)
        report(`${c.name} runAsGroup ${String(group)} is not >= ${MIN_ID}`);
    }
  },
  'PSS-PRIVILEGE-ESCALATION': (pod, report) => {
    for (const c of allContainers(pod)) {
      if (c.securityContext?.allowPrivilegeEscalation !== false) report(`${c.name} may escalate privileges`);
    }
  },
  'PSS-CAPABILITIES': (pod, report) => {
    for (const c of allContainers(pod)) {
      const caps = c.securityContext?.capabilities;
      if (!(caps?.drop ?? []).includes('ALL')) report(`${c.name} does not drop ALL capabilities`);
      const added = (caps?.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
      if (added.length > 0) report(`${c.name} adds ${added.join(', ')}`);
    }
  },
  'PSS-SECCOMP': (pod, report) => {
    const ok = (type: string | undefined): boolean => type === 'RuntimeDefault' || type === 'Localhost';
    const podType = pod.spec.securityContext?.seccompProfile?.type;
    if (podType !== undefined && !ok(podType)) report(`pod seccompProfile is ${podType}`);
    for (const c of allContainers(pod)) {
      const own = c.securityContext?.seccompProfile?.type;
      if (own !== undefined && !ok(own)) report(`${c.name} seccompProfile is ${own}`);
      else if (!ok(own ?? podType)) report(`${c.name} has no seccompProfile`);
    }
  },
  'POD-READONLY-ROOT': (pod, report) => {
    for (const c of allContainers(pod)) {
      if (c.securityContext?.readOnlyRootFilesystem !== true)
        report(`${c.name} has a writable root filesystem`);
    }
  },
  'POD-TMP-EMPTYDIR': (pod, report) => {
    const emptyDirs = new Set(
      (pod.spec.volumes ?? []).filter((v) => v.emptyDir !== undefined).map((v) => v.name),
    );
    for (const c of allContainers(pod)) {
      const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
      if (!tmp || !emptyDirs.has(tmp.name) || tmp.readOnly === true)
        report(`${c.name} has no writable emptyDir at /tmp`);
    }
  },
  'POD-RESOURCES': (pod, report) => {
    for (const c of allContainers(pod)) {
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) {
          if (c.resources?.[kind]?.[resource] === undefined) report(`${c.name} has no ${resource} ${kind}`);
        }
      }
    }
  },
  'POD-SA-TOKEN': (pod, report) => {
    if (pod.spec.automountServiceAccountToken !== false) report('the service account token is mounted');
  },
  'POD-IMAGE-PINNED': (pod, report) => {
    for (const c of allContainers(pod)) {
      const image = c.image ?? '';
      const [nameAndTag, digest] = image.split('@');
      const lastSegment = nameAndTag.split('/').pop() ?? '';
      const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
      const digestOk = digest !== undefined && /^sha256:[a-f0-9]{64}$/.test(digest);
      if (!digestOk && (tag === undefined || tag === '' || tag === 'latest'))
        report(`${c.name} image ${image} is not pinned`);
      if (tag === 'latest') report(`${c.name} image ${image} uses latest`);
    }
  },
  'POD-NO-LITERAL-SECRET': (pod, report) => {
    for (const c of allContainers(pod)) {
      for (const env of c.env ?? []) {
        const problem = envValueIsSafe(pod, c, env);
        if (problem) report(`${c.name}: ${problem}`);
      }
    }
  },
  'POD-NODE-ENV': (pod, report) => {
    if (pod.hook.includes('test')) return;
    for (const c of pod.spec.containers) {
      const nodeEnv = (c.env ?? []).find((e) => e.name === 'NODE_ENV');
      if (nodeEnv?.value !== 'production') report(`${c.name} does not set NODE_ENV=production`);
    }
  },
  'POD-NODE-HEAP': (pod, report) => {
    if (pod.hook.includes('test')) return;
    for (const c of pod.spec.containers) {
      const { oldSpaceMiB, semiSpaceMiB } = heapCapsOf(c.env?.find((e) => e.name === 'NODE_OPTIONS')?.value);
      const limit = memoryMiB(c.resources?.limits?.memory);
      if (oldSpaceMiB === undefined || semiSpaceMiB === undefined)
        report(
          `${c.name} does not cap the V8 heap (NODE_OPTIONS --max-old-space-size and --max-semi-space-size)`,
        );
      // A missing limit is POD-RESOURCES' finding.
      else if (limit !== undefined && oldSpaceMiB + 2 * semiSpaceMiB > 0.75 * limit)
        report(
          `${c.name}: a ${oldSpaceMiB + 2 * semiSpaceMiB} MiB heap does not fit in 75% of its memory limit`,
        );
    }
  },
  'POD-REQUIRED-SECRETS': (pod, report) => {
    if (pod.hook.includes('test')) return;
    for (const c of pod.spec.containers) {
      // envFrom a Secret may hold anything: it cannot be checked here, so it is trusted.
      if ((c.envFrom ?? []).some((from) => from.secretRef !== undefined)) continue;
      const names = new Set((c.env ?? []).map((e) => e.name));
      for (const name of REQUIRED_SECRETS) {
        if (!names.has(name) && !names.has(`${name}_FILE`)) report(`${c.name} is not given ${name}`);
      }
    }
  },
  'POD-SECRET-FILE-MODE': (pod, report) => {
    for (const volume of pod.spec.volumes ?? []) {
      const sources = [
        ...(volume.secret ? [{ defaultMode: volume.secret.defaultMode, items: volume.secret.items }] : []),
        ...(volume.projected?.sources ?? [])
          .filter((s) => s.secret !== undefined)
          .map((s) => ({ defaultMode: volume.projected?.defaultMode, items: s.secret?.items })),
      ];
      for (const source of sources) {
        // Kubernetes defaults to 0644.
        const modes = [
          source.defaultMode ?? 0o644,
          ...(source.items ?? []).flatMap((i) => (i.mode === undefined ? [] : [i.mode])),
        ];
        if (modes.some((mode) => (mode & 0o007) !== 0)) report(`volume ${volume.name} is world-readable`);
      }
    }
  },
  'POD-PROBES': (pod, report) => {
    if (!pod.longRunning) return;
    for (const c of pod.spec.containers) {
      const startup = httpProbe(c, 'startupProbe');
      const readiness = httpProbe(c, 'readinessProbe');
      const liveness = httpProbe(c, 'livenessProbe');
      if (!startup) report(`${c.name} has no startup probe on /health/*`);
      if (!readiness) report(`${c.name} has no readiness probe on /health/*`);
      if (!liveness) report(`${c.name} has no liveness probe on /health/*`);
      if (readiness && liveness && readiness === liveness)
        report(`${c.name} readiness and liveness both probe ${readiness}`);
    }
  },
};

type ObjectCheck = (
  objects: K8sObject[],
  options: PolicyOptions,
  report: (object: K8sObject, message: string) => void,
) => void;

function longRunningPods(objects: K8sObject[]): PodSource[] {
  return podSources(objects).filter((p) => p.longRunning);
}

function hasHttpPort(pods: PodSource[], port: number | string): boolean {
  return pods.some((pod) =>
    pod.spec.containers.some((c) => (c.ports ?? []).some((p) => p.name === port || p.containerPort === port)),
  );
}

/** Names a pod references, by kind: Secret, ConfigMap, ServiceAccount. */
function podReferences(pod: PodSource): {
  Secret: Set<string>;
  ConfigMap: Set<string>;
  ServiceAccount: Set<string>;
} {
  const refs = { Secret: new Set<string>(), ConfigMap: new Set<string>(), ServiceAccount: new Set<string>() };
  if (pod.spec.serviceAccountName) refs.ServiceAccount.add(pod.spec.serviceAccountName);
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.secret?.secretName) refs.Secret.add(volume.secret.secretName);
    if (volume.configMap?.name) refs.ConfigMap.add(volume.configMap.name);
    for (const source of volume.projected?.sources ?? []) {
      if (source.secret?.name) refs.Secret.add(source.secret.name);
      if (source.configMap?.name) refs.ConfigMap.add(source.configMap.name);
    }
  }
  for (const c of allContainers(pod)) {
    for (const env of c.env ?? []) {
      if (env.valueFrom?.secretKeyRef?.name) refs.Secret.add(env.valueFrom.secretKeyRef.name);
      if (env.valueFrom?.configMapKeyRef?.name) refs.ConfigMap.add(env.valueFrom.configMapKeyRef.name);
    }
    for (const from of c.envFrom ?? []) {
      if (from.secretRef?.name) refs.Secret.add(from.secretRef.name);
      if (from.configMapRef?.name) refs.ConfigMap.add(from.configMapRef.name);
    }
  }
  return refs;
}

/** The Secret an ExternalSecret produces. */
function externalSecretTarget(object: K8sObject): string | undefined {
  const spec = object.spec as { target?: { name?: string } } | undefined;
  return spec?.target?.name ?? object.metadata.name;
}

const OBJECT_CHECKS: Partial<Record<RuleId, ObjectCheck>> = {
  'SA-TOKEN': (objects, _options, report) => {
    for (const sa of objectsOfKind(objects, 'ServiceAccount')) {
      if ((sa as unknown as IServiceAccount).automountServiceAccountToken !== false)
        report(sa, 'token automount is on');
    }
  },
  'CM-NO-SECRET': (objects, _options, report) => {
    for (const cm of objectsOfKind(objects, 'ConfigMap')) {
      for (const [key, value] of Object.entries((cm as unknown as IConfigMap).data ?? {})) {
        if (isSecretName(key)) report(cm, `key ${key} is a secret name`);
        else if (looksLikeCredential(value)) report(cm, `key ${key} holds a credential-looking value`);
      }
    }
  },
  'CHECKSUM-ANNOTATIONS': (objects, _options, report) => {
    for (const d of objectsOfKind(objects, 'Deployment')) {
      const annotations = (d as unknown as IDeployment).spec?.template.metadata?.annotations ?? {};
      for (const key of ['checksum/config', 'checksum/secret']) {
        if (!/^[a-f0-9]{64}$/.test(annotations[key] ?? '')) report(d, `pod template lacks ${key}`);
      }
    }
  },
  'SVC-SELECTOR': (objects, _options, report) => {
    const pods = podSources(objects);
    for (const svc of objectsOfKind(objects, 'Service')) {
      const selector = (svc as unknown as IService).spec?.selector;
      const selected = pods.filter((p) => matchesLabels(selector, p.labels));
      if (!selected.some((p) => p.longRunning)) report(svc, 'selects no long-running pods');
      for (const p of selected.filter((s) => !s.longRunning)) report(svc, `also selects ${p.id}`);
    }
  },
  'SVC-TARGET-PORT': (objects, _options, report) => {
    const pods = longRunningPods(objects);
    for (const svc of objectsOfKind(objects, 'Service')) {
      const spec = (svc as unknown as IService).spec;
      const selected = pods.filter((p) => matchesLabels(spec?.selector, p.labels));
      if (selected.length === 0) continue; // SVC-SELECTOR reports it
      for (const port of spec?.ports ?? []) {
        const target = port.targetPort ?? port.port;
        if (!hasHttpPort(selected, target))
          report(svc, `port ${port.port} targets ${String(target)}, which no selected container declares`);
      }
    }
  },
  'PDB-SELECTOR': (objects, _options, report) => {
    const pods = longRunningPods(objects);
    for (const pdb of objectsOfKind(objects, 'PodDisruptionBudget')) {
      const selector = (pdb as unknown as IPodDisruptionBudget).spec?.selector;
      if (!pods.some((p) => matchesSelector(selector, p.labels))) report(pdb, 'selects no long-running pods');
    }
  },
  'NP-SELECTOR': (objects, _options, report) => {
    const pods = longRunningPods(objects);
    const policies = objectsOfKind(objects, 'NetworkPolicy');
    for (const np of policies) {
      const selector = (np as unknown as INetworkPolicy).spec?.podSelector;
      if (!pods.some((p) => matchesSelector(selector, p.labels))) report(np, 'selects no long-running pods');
    }
    for (const pod of pods) {
      const covered = policies.some((np) =>
        matchesSelector((np as unknown as INetworkPolicy).spec?.podSelector, pod.labels),
      );
      if (!covered) report(pod.owner, 'no NetworkPolicy selects its pods');
    }
  },
  'NP-INGRESS': (objects, _options, report) => {
    const pods = longRunningPods(objects);
    for (const np of objectsOfKind(objects, 'NetworkPolicy')) {
      const spec = (np as unknown as INetworkPolicy).spec;
      if (!(spec?.policyTypes ?? []).includes('Ingress')) report(np, 'policyTypes lacks Ingress');
      const selected = pods.filter((p) => matchesSelector(spec?.podSelector, p.labels));
      for (const [i, rule] of (spec?.ingress ?? []).entries()) {
        if ((rule.from ?? []).length === 0) report(np, `ingress rule ${i} admits any source`);
        if ((rule.ports ?? []).length === 0) report(np, `ingress rule ${i} admits any port`);
        for (const port of selected.length === 0 ? [] : (rule.ports ?? [])) {
          if (port.port === undefined || !hasHttpPort(selected, port.port)) {
            report(np, `ingress rule ${i} opens port ${String(port.port)}, not the HTTP port`);
          }
        }
      }
    }
  },
  'NP-EGRESS': (objects, options, report) => {
    for (const np of objectsOfKind(objects, 'NetworkPolicy')) {
      const spec = (np as unknown as INetworkPolicy).spec;
      if (!(spec?.policyTypes ?? []).includes('Egress')) report(np, 'policyTypes lacks Egress');
      for (const [i, rule] of (spec?.egress ?? []).entries()) {
        if ((rule.ports ?? []).length === 0) report(np, `egress rule ${i} allows any port`);
        for (const port of rule.ports ?? []) {
          if (typeof port.port !== 'number' || !options.allowedEgressPorts.includes(port.port)) {
            report(np, `egress rule ${i} allows port ${String(port.port)}`);
          }
        }
      }
    }
  },
  'HPA-TARGET': (objects, _options, report) => {
    for (const hpa of objectsOfKind(objects, 'HorizontalPodAutoscaler')) {
      const spec = (hpa as unknown as IHorizontalPodAutoscaler).spec;
      const ref = spec?.scaleTargetRef;
      const target = objects.find(
        (o) => o.kind === ref?.kind && o.apiVersion === ref.apiVersion && o.metadata.name === ref.name,
      );
      if (!target || target.kind !== 'Deployment') {
        report(hpa, `scaleTargetRef ${String(ref?.kind)}/${String(ref?.name)} is not a rendered Deployment`);
        continue;
      }
      if ((target as unknown as IDeployment).spec?.replicas !== undefined) {
        report(hpa, `${idOf(target)} sets replicas, fighting the HPA`);
      }
      if ((spec?.minReplicas ?? 1) > (spec?.maxReplicas ?? 0)) report(hpa, 'minReplicas > maxReplicas');
    }
  },
  'HOOK-JOB': (objects, _options, report) => {
    for (const job of objectsOfKind(objects, 'Job')) {
      const hooks = hookOf(job);
      if (!hooks.includes('pre-install') || !hooks.includes('pre-upgrade')) {
        report(job, `runs on ${hooks.join(',') || 'no hook'}, not pre-install and pre-upgrade`);
      }
      const policy = job.metadata.annotations?.['helm.sh/hook-delete-policy'] ?? '';
      if (!policy.split(',').includes('before-hook-creation'))
        report(job, 'hook-delete-policy lacks before-hook-creation');
      const pod = podSources([job])[0];
      const runsMigrate = pod?.spec.containers.some((c) => {
        const argv = [...(c.command ?? []), ...(c.args ?? [])];
        return argv.includes('dist/apps/cli/src/main.js') && argv.includes('migrate');
      });
      if (!runsMigrate) report(job, 'does not run `dist/apps/cli/src/main.js migrate`');
    }
  },
  'HOOK-JOB-REFS': (objects, _options, report) => {
    const deploymentSecrets = new Set(longRunningPods(objects).flatMap((p) => [...podReferences(p).Secret]));
    for (const job of objectsOfKind(objects, 'Job').filter((j) => hookOf(j).length > 0)) {
      const pod = podSources([job])[0];
      if (!pod) continue;
      const refs = podReferences(pod);
      if (refs.Secret.size !== 1)
        report(job, `references ${refs.Secret.size} Secrets, not exactly the credentials one`);
      for (const name of refs.Secret) {
        if (!deploymentSecrets.has(name)) report(job, `Secret ${name} is not the one the API uses`);
      }
      for (const kind of ['Secret', 'ConfigMap', 'ServiceAccount'] as const) {
        for (const name of refs[kind]) {
          const producers = objects.filter(
            (o) =>
              (o.kind === kind && o.metadata.name === name) ||
              (kind === 'Secret' && o.kind === 'ExternalSecret' && externalSecretTarget(o) === name),
          );
          for (const producer of producers) {
            const hooks = hookOf(producer);
            const before =
              hooks.includes('pre-install') &&
              hooks.includes('pre-upgrade') &&
              hookWeightOf(producer) < hookWeightOf(job);
            if (!before)
              report(
                job,
                `${kind} ${name} comes from ${idOf(producer)}, which does not exist before the hook runs`,
              );
          }
        }
      }
    }
  },
  'INGRESS-TLS': (objects, _options, report) => {
    for (const ingress of objectsOfKind(objects, 'Ingress')) {
      const spec = (ingress as unknown as IIngress).spec;
      // An explicit, visible declaration that a load balancer in front terminates TLS; a
      // half-configured tls section beside it is still checked.
      const upstream = ingress.metadata.annotations?.[TLS_UPSTREAM_ANNOTATION] === 'true';
      if (upstream && spec?.tls === undefined) continue;
      const tlsHosts = new Set((spec?.tls ?? []).flatMap((t) => t.hosts ?? []));
      if ((spec?.tls ?? []).length === 0) report(ingress, 'has no TLS');
      for (const rule of spec?.rules ?? []) {
        if (!rule.host || !tlsHosts.has(rule.host))
          report(ingress, `host ${String(rule.host)} has no TLS entry`);
      }
    }
  },
  'HELM-TEST-READY': (objects, _options, report) => {
    const tests = podSources(objects).filter((p) => p.hook.includes('test'));
    const callsReady = tests.some((p) =>
      p.spec.containers.some((c) =>
        [...(c.command ?? []), ...(c.args ?? [])].some((a) => /^https?:\/\/.+\/health\/ready$/.test(a)),
      ),
    );
    if (!callsReady) {
      const anchor = objectsOfKind(objects, 'Deployment')[0] ?? objects[0];
      if (anchor) report(anchor, 'no helm test pod calls /health/ready');
    }
  },
};

export function checkPolicies(
  objects: K8sObject[],
  options: PolicyOptions = DEFAULT_POLICY_OPTIONS,
): Violation[] {
  const violations: Violation[] = [];
  for (const pod of podSources(objects)) {
    for (const [rule, check] of Object.entries(POD_CHECKS) as [RuleId, PodCheck][]) {
      check(pod, (message) => violations.push({ rule, object: pod.id, message }));
    }
  }
  for (const [rule, check] of Object.entries(OBJECT_CHECKS) as [RuleId, ObjectCheck][]) {
    check(objects, options, (object, message) => violations.push({ rule, object: idOf(object), message }));
  }
  return violations;
}

export function ruleIds(violations: Violation[]): RuleId[] {
  return [...new Set(violations.map((v) => v.rule))].sort();
}
