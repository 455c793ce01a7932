import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { IConfigMap, IContainer, IPodSpec } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, renderFixture } from './support/fixtures.js';
import { CI_NEGATIVE_DIR, REPO_ROOT, lintChart, renderChart, renderNotes } from './support/helm.js';
import { single, type K8sObject } from './support/k8s-objects.js';
import { TLS_UPSTREAM_ANNOTATION } from './support/k8s-policy.js';

/** What a platform team sets on the chart (helm/ci/platform-values.yaml), rendered by the real helm. */

const HELM_TIMEOUT = 180_000;

const deploymentOf = (objects: K8sObject[]): IDeployment => single<IDeployment>(objects, 'Deployment');
const jobOf = (objects: K8sObject[]): IJob => single<IJob>(objects, 'Job');
const apiPod = (objects: K8sObject[]): IPodSpec => deploymentOf(objects).spec!.template.spec!;
const jobPod = (objects: K8sObject[]): IPodSpec => jobOf(objects).spec!.template.spec!;
const api = (objects: K8sObject[]): IContainer => apiPod(objects).containers[0];
const configOf = (objects: K8sObject[]): Record<string, string> =>
  single<IConfigMap>(objects, 'ConfigMap').data ?? {};

async function render(name: string, setJson: string[] = []): Promise<K8sObject[]> {
  return (await renderFixture(fixture(name), { setJson })).objects;
}

describe('platform values', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await render('platform');
  }, HELM_TIMEOUT);

  it('adds extraEnv to the API and the migration Job, after the chart-managed variables', () => {
    for (const c of [api(objects), jobPod(objects).containers[0]]) {
      const env = c.env ?? [];
      expect(env).toContainEqual({
        name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
        value: 'http://otel-collector.observability:4318',
      });
      expect(env).toContainEqual({
        name: 'POD_NAME',
        valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
      });
      expect(env.findIndex((e) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT')).toBeGreaterThan(
        env.findIndex((e) => e.name === 'DATABASE_URL_FILE'),
      );
    }
  });

  it("adds extraEnvFrom to both, before the chart's ConfigMap (the last source wins a duplicate key)", () => {
    expect(api(objects).envFrom).toEqual([
      { configMapRef: { name: 'platform-proxy-settings' } },
      { configMapRef: { name: 'orderops' } },
    ]);
    // The Job's configuration is inline env, which wins over any envFrom source.
    expect(jobPod(objects).containers[0].envFrom).toEqual([
      { configMapRef: { name: 'platform-proxy-settings' } },
    ]);
  });

  it('mounts extraVolumes at extraVolumeMounts in both pods, beside the chart volumes', () => {
    for (const spec of [apiPod(objects), jobPod(objects)]) {
      expect(spec.volumes!.map((v) => v.name)).toEqual(['tmp', 'credentials', 'corporate-ca']);
      expect(spec.volumes![2]).toEqual({ name: 'corporate-ca', configMap: { name: 'corporate-ca-bundle' } });
      expect(spec.containers[0].volumeMounts).toContainEqual({
        name: 'corporate-ca',
        mountPath: '/etc/ssl/corporate',
        readOnly: true,
      });
    }
  });

  it('puts commonLabels on every object and pod, and podLabels on the API and Job pods only', () => {
    for (const object of objects) {
      expect(object.metadata.labels, `${object.kind}/${object.metadata.name}`).toMatchObject({
        team: 'payments',
        'cost-center': 'cc-4711',
      });
      expect(object.metadata.labels).not.toHaveProperty('allow-egress-db');
    }
    for (const workload of [deploymentOf(objects), jobOf(objects)]) {
      expect(workload.spec!.template.metadata!.labels).toMatchObject({
        team: 'payments',
        'allow-egress-db': 'true',
        'app.kubernetes.io/name': 'orderops',
      });
      expect(workload.spec!.template.metadata!.annotations).toMatchObject({
        'prometheus.io/scrape': 'false',
      });
    }
    // Selectors never change with either: they are immutable on a Deployment.
    expect(deploymentOf(objects).spec!.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'orderops',
      'app.kubernetes.io/instance': 'orderops',
      'app.kubernetes.io/component': 'api',
    });
  });

  it('renders the lifecycle and the grace period it is given', () => {
    expect(api(objects).lifecycle).toEqual({ preStop: { sleep: { seconds: 15 } } });
    expect(apiPod(objects).terminationGracePeriodSeconds).toBe(45);
  });

  it('puts the three rate limits in the configuration', () => {
    expect(configOf(objects)).toMatchObject({
      RATE_LIMIT_PER_MINUTE: '300',
      RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE: '1200',
      STRICT_RATE_LIMIT_PER_MINUTE: '30',
    });
  });

  it('renders an Ingress without tls, marked as terminated upstream, and derives TRUST_PROXY=1', () => {
    const ingress = single<K8sObject & { spec: Record<string, unknown> }>(objects, 'Ingress');
    expect(ingress.spec).not.toHaveProperty('tls');
    expect(ingress.metadata.annotations).toEqual({ [TLS_UPSTREAM_ANNOTATION]: 'true' });
    expect(configOf(objects).TRUST_PROXY).toBe('1');
  });
});

describe('chart defaults', () => {
  let objects: K8sObject[];
  beforeAll(async () => {
    objects = await render('default');
  }, HELM_TIMEOUT);

  it('sleeps in preStop and gives a grace period covering the sleep and the API drain', () => {
    const sleep = api(objects).lifecycle!.preStop!.sleep!.seconds;
    const grace = apiPod(objects).terminationGracePeriodSeconds!;
    expect(sleep).toBe(5);
    expect(grace).toBe(30);
    expect(grace).toBeGreaterThanOrEqual(sleep + 10);
    // The migration Job is not a server: no preStop.
    expect(jobPod(objects).containers[0].lifecycle).toBeUndefined();
  });

  it("keeps the chart's drain deadline equal to the API's (SHUTDOWN_DEADLINE_MS)", () => {
    const main = readFileSync(join(REPO_ROOT, 'apps', 'api', 'src', 'main.ts'), 'utf8');
    const ms = Number(/SHUTDOWN_DEADLINE_MS = ([0-9_]+);/.exec(main)![1].replaceAll('_', ''));
    const helpers = readFileSync(join(REPO_ROOT, 'helm', 'orderops', 'templates', '_platform.tpl'), 'utf8');
    const seconds = Number(/define "orderops\.shutdownDeadlineSeconds" -\}\}([0-9]+)\{\{/.exec(helpers)![1]);
    expect(seconds * 1000).toBe(ms);
  });

  it('derives TRUST_PROXY=0 without an ingress, and sets the default strict limit', () => {
    expect(configOf(objects).TRUST_PROXY).toBe('0');
    expect(configOf(objects).STRICT_RATE_LIMIT_PER_MINUTE).toBe('20');
  });

  it('adds no extra env source, volume, label or annotation when none is given', () => {
    expect(api(objects).envFrom).toEqual([{ configMapRef: { name: 'orderops' } }]);
    expect(jobPod(objects).containers[0].envFrom).toBeUndefined();
    expect(apiPod(objects).volumes!.map((v) => v.name)).toEqual(['tmp', 'credentials']);
    expect(Object.keys(jobOf(objects).spec!.template.metadata!)).toEqual(['labels']);
  });
});

describe('helm upgrade --reuse-values from a chart without these values', () => {
  it(
    'still renders: no extras, no preStop, the Kubernetes default grace period',
    async () => {
      const removed = [
        'lifecycle',
        'terminationGracePeriodSeconds',
        'commonLabels',
        'podLabels',
        'extraEnv',
        'extraEnvFrom',
        'extraVolumes',
        'extraVolumeMounts',
        'config.strictRateLimitPerMinute',
        'ingress.tlsTerminatedUpstream',
      ];
      const objects = await render(
        'production',
        removed.map((key) => `${key}=null`),
      );
      expect(api(objects).lifecycle).toBeUndefined();
      expect(apiPod(objects).terminationGracePeriodSeconds).toBeUndefined();
      expect(apiPod(objects).volumes!.map((v) => v.name)).toEqual(['tmp', 'credentials']);
      expect(configOf(objects)).not.toHaveProperty('STRICT_RATE_LIMIT_PER_MINUTE');
      expect(single<K8sObject & { spec: { tls: unknown[] } }>(objects, 'Ingress').spec.tls).toHaveLength(1);
    },
    HELM_TIMEOUT,
  );
});

describe('a lifecycle without a sleep', () => {
  it(
    'renders an exec preStop as given, and checks the grace period against the drain alone',
    async () => {
      const lifecycle = { preStop: { exec: { command: ['/nodejs/bin/node', '-e', '0'] } } };
      // helm merges maps into the defaults: null removes the default sleep.
      const replaced = `lifecycle={"preStop":{"sleep":null,"exec":${JSON.stringify(lifecycle.preStop.exec)}}}`;
      const objects = await render('default', [replaced, 'terminationGracePeriodSeconds=10']);
      expect(api(objects).lifecycle).toEqual(lifecycle);
      const refused = await renderChart({
        values: [fixture('default').file],
        setJson: [replaced, 'terminationGracePeriodSeconds=9'],
      });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain(
        'terminationGracePeriodSeconds (9) must be at least lifecycle.preStop.sleep.seconds (0) + 10 s',
      );
    },
    HELM_TIMEOUT,
  );

  it(
    'refuses a preStop merged into two actions, saying how to replace the default sleep',
    async () => {
      const result = await renderChart({
        values: [fixture('default').file],
        setJson: ['lifecycle={"preStop":{"exec":{"command":["/nodejs/bin/node","-e","0"]}}}'],
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(
        "lifecycle.preStop has exec and sleep: a handler takes exactly one action (helm merges your lifecycle into the chart's default; set lifecycle.preStop.sleep=null to replace the default sleep)",
      );
    },
    HELM_TIMEOUT,
  );

  it(
    'renders no lifecycle when it is set to null',
    async () => {
      const objects = await render('default', ['lifecycle=null']);
      expect(api(objects).lifecycle).toBeUndefined();
    },
    HELM_TIMEOUT,
  );
});

describe('the memory limit must hold the configured heap', () => {
  it(
    'renders at the smallest limit that fits (576 MiB of heap is 75% of 768Mi)',
    async () => {
      const objects = await render('default', ['resources.limits.memory="768Mi"']);
      expect(api(objects).resources!.limits!.memory).toBe('768Mi');
    },
    HELM_TIMEOUT,
  );

  it(
    'refuses one MiB less, naming the smallest limit that fits',
    async () => {
      const result = await renderChart({
        values: [fixture('default').file],
        setJson: ['resources.limits.memory="767Mi"'],
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('resources.limits.memory (767Mi) is too small for the V8 heap');
      expect(result.stderr).toContain('at least 768Mi');
    },
    HELM_TIMEOUT,
  );

  it(
    'derives the check from nodeHeap: a 128Mi limit renders once the heap is lowered to fit',
    async () => {
      const objects = await render('default', [
        'resources.limits.memory="128Mi"',
        'resources.requests.memory="128Mi"',
        'migration.resources.limits.memory="128Mi"',
        'migration.resources.requests.memory="128Mi"',
        'nodeHeap={"maxOldSpaceMiB":80,"maxSemiSpaceMiB":8}',
      ]);
      const env = api(objects).env!.find((e) => e.name === 'NODE_OPTIONS')!;
      expect(env.value).toBe('--max-old-space-size=80 --max-semi-space-size=8');
      const raised = await renderChart({
        values: [fixture('default').file],
        setJson: ['nodeHeap={"maxOldSpaceMiB":1024,"maxSemiSpaceMiB":32}'],
      });
      expect(raised.status).not.toBe(0);
      // The migration Job (768Mi) is checked first here; the API's 768Mi would fail too.
      expect(raised.stderr).toContain(
        '= 1088 MiB must fit in 75% of it. Set migration.resources.limits.memory to at least 1451Mi',
      );
    },
    HELM_TIMEOUT,
  );

  it(
    'reads other quantity units (1Gi fits, 0.25Gi does not)',
    async () => {
      await render('default', ['resources.limits.memory="1Gi"']);
      const result = await renderChart({
        values: [fixture('default').file],
        setJson: ['resources.limits.memory="0.25Gi"'],
      });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('resources.limits.memory (0.25Gi) is too small');
    },
    HELM_TIMEOUT,
  );
});

describe('TRUST_PROXY behind an ingress', () => {
  it(
    'is derived as 1 with an ingress; an explicit value wins either way',
    async () => {
      expect(configOf(await render('production', ['config.trustProxy=null'])).TRUST_PROXY).toBe('1');
      expect(configOf(await render('production', ['config.trustProxy=2'])).TRUST_PROXY).toBe('2');
      expect(configOf(await render('default', ['config.trustProxy=1'])).TRUST_PROXY).toBe('1');
    },
    HELM_TIMEOUT,
  );

  it(
    'an explicit 0 behind an ingress renders, with a WARNING in NOTES naming the shared bucket',
    async () => {
      const { status, notes } = await renderNotes({
        values: [fixture('production').file],
        setJson: ['config.trustProxy=0'],
      });
      expect(status).toBe(0);
      expect(notes).toContain('WARNING: config.trustProxy is 0 behind an ingress');
      // First thing after the install line, not buried under the how-tos.
      expect(notes.indexOf('WARNING')).toBeLessThan(notes.indexOf('Credentials:'));
      expect(notes).toContain('all clients without a token share one allowance of\n600 requests per minute');
      expect(notes).toContain('all sign-ins share one of 20 per minute');
      const derived = await renderNotes({ values: [fixture('production').file] });
      expect(derived.status).toBe(0);
      expect(derived.notes).not.toContain('WARNING');
    },
    HELM_TIMEOUT,
  );

  it(
    'with TLS terminated upstream, NOTES says when to set 2',
    async () => {
      const { notes } = await renderNotes({ values: [fixture('platform').file] });
      expect(notes).toContain('TLS is terminated upstream of the ingress and TRUST_PROXY was derived as 1');
    },
    HELM_TIMEOUT,
  );
});

describe('NOTES.txt: the first operator and a token', () => {
  it(
    'without a bootstrap password: the CLI command in the pod, then the legacy password grant through a port-forward',
    async () => {
      const { status, notes } = await renderNotes({
        values: [fixture('default').file],
        setJson: ['config.passwordGrant=true'],
      });
      expect(status).toBe(0);
      expect(notes).toContain('No operator exists yet.');
      expect(notes).toContain(
        'kubectl -n shop exec -i deploy/orderops -c api -- \\\n      /nodejs/bin/node dist/apps/cli/src/main.js operators create alice --scopes all < alice-password',
      );
      expect(notes).toContain('kubectl -n shop port-forward svc/orderops 3000:3000');
      expect(notes).toContain(
        'curl -s http://127.0.0.1:3000/oauth/token -d grant_type=password -d client_id=orderops-web',
      );
      expect(notes).toContain('The password grant never yields admin, pii:reveal, pii:export, pii:erase');
      expect(notes).toContain('clients create partner --scopes orders:read');
      expect(notes).toContain('-d grant_type=client_credentials');
    },
    HELM_TIMEOUT,
  );

  it(
    'with a bootstrap password and an ingress: names the admin, its Secret key and the public URL',
    async () => {
      const { notes } = await renderNotes({
        values: [fixture('production').file],
        setJson: ['config.passwordGrant=true'],
      });
      expect(notes).toContain('created the operator `admin` with every scope');
      expect(notes).toContain('credentials Secret key bootstrap-admin-password');
      expect(notes).toContain('curl -s https://api.orders.example.com/oauth/token -d grant_type=password');
    },
    HELM_TIMEOUT,
  );

  it(
    'by default (no password grant): the browser sign-in for operators, client credentials for partners',
    async () => {
      const { notes } = await renderNotes({ values: [fixture('default').file] });
      expect(notes).not.toContain('grant_type=password');
      expect(notes).toContain(
        "Operators sign in in a browser: the API's sign-in page at http://127.0.0.1:3000/oauth/authorize",
      );
      expect(notes).toContain('grant_type=client_credentials');
    },
    HELM_TIMEOUT,
  );
});

describe('image.tag=latest', () => {
  it(
    "is refused by helm template with a readable message (not the schema's \"'not' failed\"), whatever its case",
    async () => {
      // helm lint reports a template's fail as INFO and exits 0; install, upgrade and
      // template refuse it.
      const lint = await lintChart({ values: [join(CI_NEGATIVE_DIR, 'render', 'latest-tag.yaml')] });
      expect(lint.stdout + lint.stderr).toContain('image.tag \\"latest\\" is refused');
      expect(lint.stdout + lint.stderr).not.toContain("'not' failed");
      const upper = await renderChart({ values: [fixture('default').file], setJson: ['image.tag="LATEST"'] });
      expect(upper.status).not.toBe(0);
      expect(upper.stderr).toContain('image.tag "LATEST" is refused');
    },
    HELM_TIMEOUT,
  );
});
