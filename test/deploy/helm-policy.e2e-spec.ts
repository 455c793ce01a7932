import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, renderFixture, type ChartFixture } from './support/fixtures.js';
import { CI_NEGATIVE_DIR, lintChart, renderChart } from './support/helm.js';
import { objectsOfKind, single, type K8sObject } from './support/k8s-objects.js';
import {
  POLICY_RULES,
  TLS_UPSTREAM_ANNOTATION,
  checkPolicies,
  ruleIds,
  type RuleId,
} from './support/k8s-policy.js';
import { validateExternalSecret, validateObject } from './support/k8s-schema.js';

const HELM_TIMEOUT = 180_000;

type Objects = K8sObject[];

function byKind<T>(objects: Objects, kind: string): T {
  return single<T>(objects, kind);
}

function podSpecOf(objects: Objects, kind: 'Deployment' | 'Job' | 'Pod'): IPodSpec {
  if (kind === 'Pod') return byKind<{ spec: IPodSpec }>(objects, 'Pod').spec;
  return byKind<IDeployment>(objects, kind).spec!.template.spec!;
}

function container(objects: Objects, kind: 'Deployment' | 'Job' | 'Pod'): IContainer {
  return podSpecOf(objects, kind).containers[0];
}

function networkPolicy(objects: Objects): NonNullable<INetworkPolicy['spec']> {
  return byKind<INetworkPolicy>(objects, 'NetworkPolicy').spec!;
}

interface Mutation {
  rule: RuleId;
  fixture: string;
  what: string;
  mutate: (objects: Objects) => void;
}

/** One or more ways to break each rule; each must yield exactly that rule id. */
const MUTATIONS: Mutation[] = [
  {
    rule: 'PSS-HOST-NAMESPACES',
    fixture: 'default',
    what: 'hostNetwork',
    mutate: (o) => void (podSpecOf(o, 'Deployment').hostNetwork = true),
  },
  {
    rule: 'PSS-HOST-NAMESPACES',
    fixture: 'default',
    what: 'hostPID on the Job',
    mutate: (o) => void (podSpecOf(o, 'Job').hostPID = true),
  },
  {
    rule: 'PSS-PRIVILEGED',
    fixture: 'default',
    what: 'privileged container',
    mutate: (o) => void (container(o, 'Deployment').securityContext!.privileged = true),
  },
  {
    rule: 'PSS-HOST-PORTS',
    fixture: 'default',
    what: 'hostPort',
    mutate: (o) => void (container(o, 'Deployment').ports![0].hostPort = 3000),
  },
  {
    rule: 'PSS-VOLUME-TYPES',
    fixture: 'default',
    what: 'hostPath volume',
    mutate: (o) => void podSpecOf(o, 'Deployment').volumes!.push({ name: 'host', hostPath: { path: '/' } }),
  },
  {
    rule: 'PSS-RUN-AS-NON-ROOT',
    fixture: 'default',
    what: 'container runAsNonRoot false',
    mutate: (o) => void (container(o, 'Job').securityContext!.runAsNonRoot = false),
  },
  {
    rule: 'PSS-RUN-AS-NON-ROOT',
    fixture: 'default',
    what: 'runAsNonRoot set nowhere',
    mutate: (o) => {
      delete podSpecOf(o, 'Pod').securityContext!.runAsNonRoot;
      delete container(o, 'Pod').securityContext!.runAsNonRoot;
    },
  },
  {
    rule: 'PSS-RUN-AS-USER',
    fixture: 'default',
    what: 'uid below 10000',
    mutate: (o) => void (container(o, 'Deployment').securityContext!.runAsUser = 1000),
  },
  {
    rule: 'PSS-RUN-AS-USER',
    fixture: 'default',
    what: 'gid 0 at pod level',
    mutate: (o) => void (podSpecOf(o, 'Job').securityContext!.runAsGroup = 0),
  },
  {
    rule: 'PSS-PRIVILEGE-ESCALATION',
    fixture: 'default',
    what: 'allowPrivilegeEscalation unset',
    mutate: (o) => void delete container(o, 'Deployment').securityContext!.allowPrivilegeEscalation,
  },
  {
    rule: 'PSS-CAPABILITIES',
    fixture: 'default',
    what: 'SYS_ADMIN added',
    mutate: (o) => void (container(o, 'Deployment').securityContext!.capabilities!.add = ['SYS_ADMIN']),
  },
  {
    rule: 'PSS-CAPABILITIES',
    fixture: 'default',
    what: 'ALL not dropped',
    mutate: (o) => void (container(o, 'Job').securityContext!.capabilities!.drop = ['NET_RAW']),
  },
  {
    rule: 'PSS-SECCOMP',
    fixture: 'default',
    what: 'Unconfined container',
    mutate: (o) => void (container(o, 'Deployment').securityContext!.seccompProfile = { type: 'Unconfined' }),
  },
  {
    rule: 'PSS-SECCOMP',
    fixture: 'default',
    what: 'no profile anywhere',
    mutate: (o) => void delete podSpecOf(o, 'Pod').securityContext!.seccompProfile,
  },
  {
    rule: 'POD-READONLY-ROOT',
    fixture: 'default',
    what: 'writable root',
    mutate: (o) => void (container(o, 'Deployment').securityContext!.readOnlyRootFilesystem = false),
  },
  {
    rule: 'POD-TMP-EMPTYDIR',
    fixture: 'default',
    what: 'no /tmp mount',
    mutate: (o) => {
      const c = container(o, 'Job');
      c.volumeMounts = c.volumeMounts!.filter((m) => m.mountPath !== '/tmp');
    },
  },
  {
    rule: 'POD-RESOURCES',
    fixture: 'default',
    what: 'no limits',
    mutate: (o) => void delete container(o, 'Deployment').resources!.limits,
  },
  {
    rule: 'POD-RESOURCES',
    fixture: 'default',
    what: 'no memory request on the test pod',
    mutate: (o) => void delete container(o, 'Pod').resources!.requests!.memory,
  },
  {
    rule: 'POD-SA-TOKEN',
    fixture: 'default',
    what: 'token automounted',
    mutate: (o) => void (podSpecOf(o, 'Deployment').automountServiceAccountToken = true),
  },
  {
    rule: 'POD-SA-TOKEN',
    fixture: 'default',
    what: 'token default on the Job',
    mutate: (o) => void delete podSpecOf(o, 'Job').automountServiceAccountToken,
  },
  {
    rule: 'POD-IMAGE-PINNED',
    fixture: 'default',
    what: 'latest tag',
    mutate: (o) => void (container(o, 'Deployment').image = 'orderops:latest'),
  },
  {
    rule: 'POD-IMAGE-PINNED',
    fixture: 'default',
    what: 'no tag',
    mutate: (o) => void (container(o, 'Job').image = 'registry.example.com:5000/orderops'),
  },
  {
    rule: 'POD-NO-LITERAL-SECRET',
    fixture: 'default',
    what: 'DATABASE_URL as a literal',
    mutate: (o) => {
      const c = container(o, 'Deployment');
      c.env = c.env!.filter((e) => e.name !== 'DATABASE_URL_FILE');
      c.env.push({ name: 'DATABASE_URL', value: 'postgres://orderops@db.example.internal/orderops' });
    },
  },
  {
    rule: 'POD-NO-LITERAL-SECRET',
    fixture: 'default',
    what: 'a credential under an innocent name',
    mutate: (o) =>
      void container(o, 'Job').env!.push({
        name: 'UPSTREAM',
        value: 'https://svc:hunter2hunter2@upstream.example.com',
      }),
  },
  {
    rule: 'POD-NO-LITERAL-SECRET',
    fixture: 'default',
    what: 'a *_FILE pointing outside the Secret volume',
    mutate: (o) => {
      const env = container(o, 'Deployment').env!.find((e) => e.name === 'ORDEROPS_MASTER_KEYS_FILE')!;
      env.value = '/tmp/ORDEROPS_MASTER_KEYS';
    },
  },
  {
    rule: 'POD-NO-LITERAL-SECRET',
    fixture: 'inline',
    what: 'the blind-index key as a literal on the hook Job',
    mutate: (o) => {
      const c = container(o, 'Job');
      c.env = c.env!.filter((e) => e.name !== 'ORDEROPS_BLIND_INDEX_KEY_FILE');
      c.env.push({
        name: 'ORDEROPS_BLIND_INDEX_KEY',
        value: 'dGVzdC1vbmx5LW5vdC1hLXNlY3JldC1ibGluZC1pbmRleC1rZXkhIQ==',
      });
    },
  },
  {
    rule: 'POD-NO-LITERAL-SECRET',
    fixture: 'default',
    what: 'the blind-index key from the ConfigMap',
    mutate: (o) => {
      const c = container(o, 'Deployment');
      c.env = c.env!.filter((e) => e.name !== 'ORDEROPS_BLIND_INDEX_KEY_FILE');
      c.env.push({
        name: 'ORDEROPS_BLIND_INDEX_KEY',
        valueFrom: { configMapKeyRef: { name: 'orderops', key: 'ORDEROPS_BLIND_INDEX_KEY' } },
      });
    },
  },
  {
    rule: 'POD-NO-LITERAL-SECRET',
    fixture: 'external',
    what: 'the blind-index key file not projected from the Secret into the hook Job',
    mutate: (o) => {
      const source = podSpecOf(o, 'Job')
        .volumes!.find((v) => v.name === 'credentials')!
        .projected!.sources!.find((s) => s.secret !== undefined)!.secret!;
      source.items = source.items!.filter((i) => i.path !== 'ORDEROPS_BLIND_INDEX_KEY');
    },
  },
  {
    rule: 'POD-REQUIRED-SECRETS',
    fixture: 'default',
    what: 'the hook Job is not given the blind-index key',
    mutate: (o) => {
      const c = container(o, 'Job');
      c.env = c.env!.filter((e) => e.name !== 'ORDEROPS_BLIND_INDEX_KEY_FILE');
    },
  },
  {
    rule: 'POD-REQUIRED-SECRETS',
    fixture: 'production',
    what: 'the API is not given the master keys',
    mutate: (o) => {
      const c = container(o, 'Deployment');
      c.env = c.env!.filter((e) => e.name !== 'ORDEROPS_MASTER_KEYS_FILE');
    },
  },
  {
    rule: 'POD-NODE-HEAP',
    fixture: 'production',
    what: 'the API without NODE_OPTIONS',
    mutate: (o) => {
      const c = container(o, 'Deployment');
      c.env = c.env!.filter((e) => e.name !== 'NODE_OPTIONS');
    },
  },
  {
    rule: 'POD-NODE-HEAP',
    fixture: 'default',
    what: 'a Job heap (600 + 2 x 16 = 632 MiB) beyond 75% of its 768Mi limit',
    mutate: (o) =>
      void (container(o, 'Job').env!.find((e) => e.name === 'NODE_OPTIONS')!.value =
        '--max-old-space-size=600 --max-semi-space-size=16'),
  },
  {
    rule: 'POD-NODE-ENV',
    fixture: 'default',
    what: 'NODE_ENV development on the Job',
    mutate: (o) => void (container(o, 'Job').env!.find((e) => e.name === 'NODE_ENV')!.value = 'development'),
  },
  {
    rule: 'POD-SECRET-FILE-MODE',
    fixture: 'default',
    what: 'credentials volume 0644 (the Kubernetes default)',
    mutate: (o) =>
      void delete podSpecOf(o, 'Deployment').volumes!.find((v) => v.name === 'credentials')!.projected!
        .defaultMode,
  },
  {
    rule: 'POD-SECRET-FILE-MODE',
    fixture: 'default',
    what: 'one item world-readable',
    mutate: (o) => {
      podSpecOf(o, 'Job').volumes!.find(
        (v) => v.name === 'credentials',
      )!.projected!.sources![0].secret!.items![0].mode = 0o444;
    },
  },
  {
    rule: 'POD-PROBES',
    fixture: 'default',
    what: 'liveness probes readiness',
    mutate: (o) => void (container(o, 'Deployment').livenessProbe!.httpGet!.path = '/health/ready'),
  },
  {
    rule: 'POD-PROBES',
    fixture: 'production',
    what: 'no startup probe',
    mutate: (o) => void delete container(o, 'Deployment').startupProbe,
  },
  {
    rule: 'SA-TOKEN',
    fixture: 'default',
    what: 'ServiceAccount automounts',
    mutate: (o) =>
      void (byKind<Record<string, unknown>>(o, 'ServiceAccount').automountServiceAccountToken = true),
  },
  {
    rule: 'CM-NO-SECRET',
    fixture: 'default',
    what: 'master keys in the ConfigMap',
    mutate: (o) => {
      byKind<{ data: Record<string, string> }>(o, 'ConfigMap').data.ORDEROPS_MASTER_KEYS = 'v1:x';
    },
  },
  {
    rule: 'CM-NO-SECRET',
    fixture: 'external',
    what: 'the blind-index key in the ConfigMap',
    mutate: (o) => {
      byKind<{ data: Record<string, string> }>(o, 'ConfigMap').data.ORDEROPS_BLIND_INDEX_KEY =
        'dGVzdC1vbmx5LW5vdC1hLXNlY3JldC1ibGluZC1pbmRleC1rZXkhIQ==';
    },
  },
  {
    rule: 'CM-NO-SECRET',
    fixture: 'inline',
    what: 'a private key in the ConfigMap',
    mutate: (o) => {
      byKind<{ data: Record<string, string> }>(o, 'ConfigMap').data.TLS =
        '-----BEGIN PRIVATE KEY-----\nMIIE\n';
    },
  },
  {
    rule: 'CHECKSUM-ANNOTATIONS',
    fixture: 'default',
    what: 'no checksum/secret',
    mutate: (o) =>
      void delete byKind<IDeployment>(o, 'Deployment').spec!.template.metadata!.annotations![
        'checksum/secret'
      ],
  },
  {
    rule: 'SVC-SELECTOR',
    fixture: 'default',
    what: 'Service selects the migration Job',
    mutate: (o) => {
      byKind<{ spec: { selector: Record<string, string> } }>(o, 'Service').spec.selector[
        'app.kubernetes.io/component'
      ] = 'migrate';
    },
  },
  {
    rule: 'SVC-SELECTOR',
    fixture: 'default',
    what: 'Service selector without the component also picks hook pods',
    mutate: (o) =>
      void delete byKind<{ spec: { selector: Record<string, string> } }>(o, 'Service').spec.selector[
        'app.kubernetes.io/component'
      ],
  },
  {
    rule: 'SVC-TARGET-PORT',
    fixture: 'default',
    what: 'Service targets an undeclared port',
    mutate: (o) =>
      void (byKind<{ spec: { ports: { targetPort: string }[] } }>(o, 'Service').spec.ports[0].targetPort =
        'undeclared'),
  },
  {
    rule: 'PDB-SELECTOR',
    fixture: 'production',
    what: 'PDB selects nothing',
    mutate: (o) => {
      byKind<{ spec: { selector: { matchLabels: Record<string, string> } } }>(
        o,
        'PodDisruptionBudget',
      ).spec.selector.matchLabels['app.kubernetes.io/component'] = 'web';
    },
  },
  {
    rule: 'NP-SELECTOR',
    fixture: 'default',
    what: 'NetworkPolicy selects other pods',
    mutate: (o) => void (networkPolicy(o).podSelector!.matchLabels!['app.kubernetes.io/instance'] = 'other'),
  },
  {
    rule: 'NP-SELECTOR',
    fixture: 'default',
    what: 'no NetworkPolicy',
    mutate: (o) =>
      void o.splice(
        o.findIndex((x) => x.kind === 'NetworkPolicy'),
        1,
      ),
  },
  {
    rule: 'NP-INGRESS',
    fixture: 'production',
    what: 'ingress from anywhere',
    mutate: (o) => void delete networkPolicy(o).ingress![0].from,
  },
  {
    rule: 'NP-INGRESS',
    fixture: 'default',
    what: 'ingress on another port',
    mutate: (o) => void networkPolicy(o).ingress![0].ports!.push({ port: 9229, protocol: 'TCP' }),
  },
  {
    rule: 'NP-EGRESS',
    fixture: 'default',
    what: 'egress to 443',
    mutate: (o) => void networkPolicy(o).egress!.push({ ports: [{ port: 443, protocol: 'TCP' }] }),
  },
  {
    rule: 'NP-EGRESS',
    fixture: 'production',
    what: 'egress rule without ports',
    mutate: (o) => void delete networkPolicy(o).egress![1].ports,
  },
  {
    rule: 'NP-EGRESS',
    fixture: 'default',
    what: 'no Egress policy type',
    mutate: (o) => void (networkPolicy(o).policyTypes = ['Ingress']),
  },
  {
    rule: 'HPA-TARGET',
    fixture: 'production',
    what: 'Deployment sets replicas under an HPA',
    mutate: (o) => void (byKind<IDeployment>(o, 'Deployment').spec!.replicas = 3),
  },
  {
    rule: 'HPA-TARGET',
    fixture: 'production',
    what: 'HPA targets a missing Deployment',
    mutate: (o) =>
      void (byKind<{ spec: { scaleTargetRef: { name: string } } }>(
        o,
        'HorizontalPodAutoscaler',
      ).spec.scaleTargetRef.name = 'gone'),
  },
  {
    rule: 'HOOK-JOB',
    fixture: 'default',
    what: 'migration after install only',
    mutate: (o) => void (byKind<K8sObject>(o, 'Job').metadata.annotations!['helm.sh/hook'] = 'post-install'),
  },
  {
    rule: 'HOOK-JOB',
    fixture: 'default',
    what: 'Job runs something else',
    mutate: (o) => void (container(o, 'Job').args = ['dist/apps/api/src/main.js']),
  },
  {
    rule: 'HOOK-JOB-REFS',
    fixture: 'default',
    what: "Job reads the release's ConfigMap (created after hooks)",
    mutate: (o) => void (container(o, 'Job').envFrom = [{ configMapRef: { name: 'orderops' } }]),
  },
  {
    rule: 'HOOK-JOB-REFS',
    fixture: 'inline',
    what: 'the rendered Secret is created after the Job',
    mutate: (o) => void (byKind<K8sObject>(o, 'Secret').metadata.annotations!['helm.sh/hook-weight'] = '5'),
  },
  {
    rule: 'HOOK-JOB-REFS',
    fixture: 'external',
    what: 'the ExternalSecret is an ordinary (post-hook) object',
    mutate: (o) => void delete byKind<K8sObject>(o, 'ExternalSecret').metadata.annotations!['helm.sh/hook'],
  },
  {
    rule: 'HOOK-JOB-REFS',
    fixture: 'default',
    what: 'Job reads a second Secret',
    mutate: (o) =>
      void container(o, 'Job').env!.push({
        name: 'EXTRA',
        valueFrom: { secretKeyRef: { name: 'admin-secrets', key: 'x' } },
      }),
  },
  {
    rule: 'HOOK-JOB-REFS',
    fixture: 'default',
    what: "Job runs as the release's ServiceAccount (created after hooks)",
    mutate: (o) => void (podSpecOf(o, 'Job').serviceAccountName = 'orderops'),
  },
  {
    rule: 'INGRESS-TLS',
    fixture: 'production',
    what: 'Ingress host without TLS',
    mutate: (o) => void delete byKind<{ spec: { tls?: unknown } }>(o, 'Ingress').spec.tls,
  },
  {
    rule: 'INGRESS-TLS',
    fixture: 'platform',
    what: 'TLS-less Ingress without the upstream-termination annotation',
    mutate: (o) => void delete byKind<K8sObject>(o, 'Ingress').metadata.annotations![TLS_UPSTREAM_ANNOTATION],
  },
  {
    rule: 'INGRESS-TLS',
    fixture: 'platform',
    what: 'upstream-terminated Ingress with a tls section that misses its host',
    mutate: (o) =>
      void (byKind<{ spec: { tls?: unknown } }>(o, 'Ingress').spec.tls = [
        { secretName: 'other', hosts: ['other.example.com'] },
      ]),
  },
  {
    rule: 'HELM-TEST-READY',
    fixture: 'default',
    what: 'test pod probes liveness only',
    mutate: (o) => {
      const c = container(o, 'Pod');
      c.command = c.command!.map((a) => a.replace('/health/ready', '/health/live'));
    },
  },
];

const rendered = new Map<string, Objects>();

async function fresh(name: string): Promise<{ objects: Objects; f: ChartFixture }> {
  const f = fixture(name);
  if (!rendered.has(f.name)) rendered.set(f.name, (await renderFixture(f)).objects);
  return { objects: structuredClone(rendered.get(f.name)!), f };
}

describe('policy rules fire on broken manifests', () => {
  beforeAll(async () => {
    for (const name of ['default', 'production', 'inline', 'external', 'platform']) await fresh(name);
  }, HELM_TIMEOUT);

  it('every rule in the table has at least one breaking case, and every case names a known rule', () => {
    const covered = new Set(MUTATIONS.map((m) => m.rule));
    expect(Object.keys(POLICY_RULES).filter((r) => !covered.has(r as RuleId))).toEqual([]);
  });

  it.each(MUTATIONS)('$rule: $what ($fixture)', async ({ rule, fixture: name, mutate }) => {
    const { objects, f } = await fresh(name);
    expect(checkPolicies(objects, { allowedEgressPorts: f.allowedEgressPorts })).toEqual([]);
    mutate(objects);
    const violations = checkPolicies(objects, { allowedEgressPorts: f.allowedEgressPorts });
    expect(ruleIds(violations)).toEqual([rule]);
  });
});

describe('negative values fixtures', () => {
  it(
    'an insecure override renders (the schema leaves it to the operator) and yields the expected rule ids',
    async () => {
      const file = join(CI_NEGATIVE_DIR, 'insecure-overrides.yaml');
      expect((await lintChart({ values: [file] })).status).toBe(0);
      const { status, objects, stderr } = await renderChart({ values: [file] });
      expect(stderr).toBe('');
      expect(status).toBe(0);
      const violations = checkPolicies(objects, { allowedEgressPorts: [53, 5432] });
      expect(ruleIds(violations)).toEqual([
        'POD-READONLY-ROOT',
        'POD-RESOURCES',
        'PSS-CAPABILITIES',
        'PSS-PRIVILEGE-ESCALATION',
        'PSS-PRIVILEGED',
        'PSS-RUN-AS-NON-ROOT',
        'PSS-RUN-AS-USER',
        'PSS-SECCOMP',
      ]);
      // The weakened contexts reach every pod the chart runs; resources only the API's.
      const objectsOf = (rule: RuleId): string[] =>
        [...new Set(violations.filter((v) => v.rule === rule).map((v) => v.object))].sort();
      const pods = ['Deployment/orderops', 'Job/orderops-migrate', 'Pod/orderops-test-ready'];
      for (const rule of ['PSS-PRIVILEGED', 'PSS-RUN-AS-USER', 'PSS-SECCOMP', 'POD-READONLY-ROOT'] as const) {
        expect(objectsOf(rule)).toEqual(pods);
      }
      expect(objectsOf('POD-RESOURCES')).toEqual(['Deployment/orderops']);
    },
    HELM_TIMEOUT,
  );

  /** helm/ci-negative/lint: values the schema refuses, with the JSON pointer helm must name. */
  const LINT_CASES: Record<string, string> = {
    'http-issuer.yaml': "'/config/issuer'",
    'unbounded-idle-transaction.yaml': "'/database/idleInTransactionTimeoutMs'",
    'lowercase-currency.yaml': "'/config/defaultCurrency'",
    'root-container-port.yaml': "'/containerPort'",
    'short-blind-index-key.yaml': "'/secrets/values/blindIndexKey'",
    'short-bootstrap-password.yaml': "'/secrets/values/bootstrapAdminPassword'",
    'tiny-import-limit.yaml': "'/config/importMaxBytes'",
    'spaced-redis-prefix.yaml': "'/redis/keyPrefix'",
    'string-replicas.yaml': "'/replicaCount'",
    'unknown-key.yaml': "additional properties 'replicas' not allowed",
  };

  it('every lint fixture is covered', () => {
    expect(readdirSync(join(CI_NEGATIVE_DIR, 'lint')).sort()).toEqual(Object.keys(LINT_CASES).sort());
  });

  it.each(Object.entries(LINT_CASES))(
    'helm lint refuses %s',
    async (file, expected) => {
      const result = await lintChart({ values: [join(CI_NEGATIVE_DIR, 'lint', file)] });
      expect(result.status).not.toBe(0);
      expect(result.stdout + result.stderr).toContain(expected);
    },
    HELM_TIMEOUT,
  );

  /** helm/ci-negative/render: values that pass the schema but that the templates refuse. */
  const RENDER_CASES: Record<string, string> = {
    'no-credentials.yaml': 'orderops: no credentials configured. Set secrets.existingSecret',
    'two-credential-sources.yaml': 'set exactly one credential source, got existingSecret and values',
    'partial-values.yaml':
      'secrets.values needs databaseUrl, masterKeys and blindIndexKey; missing: masterKeys, blindIndexKey',
    'missing-blind-index-key.yaml':
      'secrets.values needs databaseUrl, masterKeys and blindIndexKey; missing: blindIndexKey',
    'external-secret-without-blind-index-key.yaml':
      'externalSecret needs secretStoreRef.name and remoteRefs.databaseUrl.key and remoteRefs.masterKeys.key and remoteRefs.blindIndexKey.key',
    'redis-without-url.yaml': 'redis.enabled needs secrets.values.redisUrl',
    'missing-issuer.yaml': 'config.issuer is required',
    'ingress-without-tls.yaml': 'ingress.enabled needs ingress.tls',
    'small-tmp-for-imports.yaml':
      'tmpSizeLimit must exceed config.importMaxBytes x config.importMaxConcurrent (209715200 bytes)',
    'latest-tag.yaml':
      'orderops: image.tag "latest" is refused: it moves, so the pods of one release could run different code',
    'small-memory-limit.yaml':
      'resources.limits.memory (128Mi) is too small for the V8 heap: nodeHeap.maxOldSpaceMiB (512) + 2 x nodeHeap.maxSemiSpaceMiB (32) = 576 MiB must fit in 75% of it. Set resources.limits.memory to at least 768Mi',
    'small-migration-memory-limit.yaml':
      'migration.resources.limits.memory (256Mi) is too small for the V8 heap: nodeHeap.maxOldSpaceMiB (512) + 2 x nodeHeap.maxSemiSpaceMiB (32) = 576 MiB must fit in 75% of it. Set migration.resources.limits.memory to at least 768Mi',
    'short-grace-period.yaml':
      "terminationGracePeriodSeconds (25) must be at least lifecycle.preStop.sleep.seconds (20) + 10 s (the API's shutdown drain)",
    'extra-env-node-options.yaml': 'extraEnv must not set NODE_OPTIONS: the chart sets it',
    'extra-env-literal-credential.yaml': 'extraEnv must not set DATABASE_URL: the chart sets it',
    'extra-env-config-setting.yaml': 'extraEnv must not set TRUST_PROXY: the chart sets it',
    'extra-env-tls-verification-off.yaml':
      'extraEnv must not set NODE_TLS_REJECT_UNAUTHORIZED: it turns off certificate verification for every connection',
    'extra-volume-named-tmp.yaml': 'extraVolumes must not name a volume tmp: the chart uses that name',
    'extra-mount-of-chart-volume.yaml': "extraVolumeMounts must not mount the chart's volume credentials",
    'extra-mount-over-credentials.yaml':
      'extraVolumeMounts must not mount at /var/run/secrets/orderops/: the chart mounts there',
    'common-label-chart-owned.yaml': 'commonLabels must not set app.kubernetes.io/name: the chart sets it',
    'pod-label-twice.yaml': 'podLabels and commonLabels both set team: set it in one of them',
    'ingress-tls-and-upstream.yaml': 'set ingress.tls or ingress.tlsTerminatedUpstream, not both',
  };

  it('every render fixture is covered', () => {
    expect(readdirSync(join(CI_NEGATIVE_DIR, 'render')).sort()).toEqual(Object.keys(RENDER_CASES).sort());
  });

  it.each(Object.entries(RENDER_CASES))(
    'helm template refuses %s with a clear message',
    async (file, message) => {
      const result = await renderChart({ values: [join(CI_NEGATIVE_DIR, 'render', file)] });
      expect(result.status).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(message);
    },
    HELM_TIMEOUT,
  );
});

describe('schema validation refuses what Kubernetes would', () => {
  let objects: Objects;
  beforeAll(async () => {
    objects = (await fresh('external')).objects;
  }, HELM_TIMEOUT);

  it('fails an unknown kind or API version', async () => {
    const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(await validateObject(widget)).toEqual(['Widget/w: unknown kind example.com/v1/Widget']);
    const oldDeployment = { ...objectsOfKind(objects, 'Deployment')[0], apiVersion: 'extensions/v1beta1' };
    expect((await validateObject(oldDeployment))[0]).toContain('unknown kind');
    const removedPdb = { ...objectsOfKind(objects, 'PodDisruptionBudget')[0], apiVersion: 'policy/v1beta1' };
    expect((await validateObject(removedPdb))[0]).toContain('unknown kind');
    const noSuchKind = { apiVersion: 'v1', kind: 'Deployment', metadata: { name: 'd' } };
    expect((await validateObject(noSuchKind))[0]).toContain('unknown kind');
  });

  it('fails a wrongly typed field', async () => {
    const deployment = structuredClone(objectsOfKind(objects, 'Deployment')[0]);
    (deployment as unknown as IDeployment).spec!.replicas = 'two' as unknown as number;
    expect((await validateObject(deployment))[0]).toMatch(/replicas must be integer/);
    const job = structuredClone(objectsOfKind(objects, 'Job')[0]);
    container([job], 'Job').resources!.limits!.memory = 'a lot';
    expect((await validateObject(job))[0]).toMatch(/memory/);
  });

  it('fails an invalid object name', async () => {
    const cm = { ...structuredClone(objectsOfKind(objects, 'ConfigMap')[0]) };
    cm.metadata = { ...cm.metadata, name: 'Not_Valid' };
    expect((await validateObject(cm))[0]).toContain('DNS-1123');
  });

  it('checks the ExternalSecret structurally (unknown fields, required keys, enums)', () => {
    const es = objectsOfKind(objects, 'ExternalSecret')[0];
    expect(validateExternalSecret(es)).toEqual([]);
    const broken = structuredClone(es) as K8sObject & { spec: Record<string, unknown> };
    broken.spec.secretStoreRefs = broken.spec.secretStoreRef;
    delete broken.spec.secretStoreRef;
    (broken.spec.target as Record<string, unknown>).creationPolicy = 'Sometimes';
    (broken.spec.data as { remoteRef: Record<string, unknown> }[])[0].remoteRef = { property: 'x' };
    expect(validateExternalSecret(broken)).toEqual([
      'ExternalSecret/orderops.spec.secretStoreRefs: unknown field',
      'ExternalSecret/orderops.spec.secretStoreRef: required object',
      'ExternalSecret/orderops.spec.target.creationPolicy: must be one of Owner, Orphan, Merge, None',
      'ExternalSecret/orderops.spec.data[0].remoteRef.key: required non-empty string',
    ]);
  });
});
