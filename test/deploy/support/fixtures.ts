import { join } from 'node:path';
import { CI_VALUES_DIR, renderChart, type ChartOptions, type Rendered } from './helm.js';

/** The values fixtures of helm/ci and how each is rendered. */
export interface ChartFixture {
  name: string;
  file: string;
  /** API versions the target cluster serves beyond the built-in ones. */
  apiVersions: string[];
  /** `helm lint` cannot take --api-versions; it needs the chart's offline escape hatch. */
  lintSetJson: string[];
  /** Egress ports the NetworkPolicy may open: DNS, the database, Redis when enabled. */
  allowedEgressPorts: number[];
}

export const EXTERNAL_SECRETS_API = 'external-secrets.io/v1';

export const FIXTURES: ChartFixture[] = [
  {
    name: 'default (existingSecret)',
    file: join(CI_VALUES_DIR, 'default-values.yaml'),
    apiVersions: [],
    lintSetJson: [],
    allowedEgressPorts: [53, 5432],
  },
  {
    name: 'production (HPA, Ingress, Redis)',
    file: join(CI_VALUES_DIR, 'production-values.yaml'),
    apiVersions: [],
    lintSetJson: [],
    allowedEgressPorts: [53, 5432, 6379],
  },
  {
    name: 'inline secret values',
    file: join(CI_VALUES_DIR, 'inline-secret-values.yaml'),
    apiVersions: [],
    lintSetJson: [],
    allowedEgressPorts: [53, 5432],
  },
  {
    name: 'platform (extra env, volumes and labels; TLS terminated upstream)',
    file: join(CI_VALUES_DIR, 'platform-values.yaml'),
    apiVersions: [],
    lintSetJson: [],
    allowedEgressPorts: [53, 5432],
  },
  {
    name: 'external secret',
    file: join(CI_VALUES_DIR, 'external-secret-values.yaml'),
    apiVersions: [EXTERNAL_SECRETS_API],
    lintSetJson: ['externalSecret.requireApi=false'],
    allowedEgressPorts: [53, 5432, 6379],
  },
];

export function fixture(name: string): ChartFixture {
  const found = FIXTURES.find((f) => f.name.startsWith(name));
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
}

/** Renders a fixture (plus extra options) and fails loudly when helm does. */
export async function renderFixture(f: ChartFixture, extra: ChartOptions = {}): Promise<Rendered> {
  const rendered = await renderChart({
    ...extra,
    values: [f.file, ...(extra.values ?? [])],
    apiVersions: [...f.apiVersions, ...(extra.apiVersions ?? [])],
  });
  if (rendered.status !== 0) throw new Error(`helm template ${f.name} failed:\n${rendered.stderr}`);
  return rendered;
}
