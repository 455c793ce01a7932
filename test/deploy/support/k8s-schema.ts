import { idOf, type K8sObject } from './k8s-objects.js';

/**
 * Validates rendered objects against the Kubernetes OpenAPI schemas shipped by
 * kubernetes-models (offline; kubectl cannot validate without a cluster), and the Prometheus
 * Operator's ServiceMonitor and PrometheusRule by @kubernetes-models/prometheus-operator. A kind the package
 * does not know, or a beta/alpha/removed API version, fails. ExternalSecret (external-secrets.io/v1) is not in kubernetes-models
 * (its add-on package stops at v1beta1), so it gets a hand-written structural check that
 * refuses unknown fields.
 */

interface ModelClass {
  new (data: unknown): { validate(): void };
}

const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Add-on API groups and the kubernetes-models package that holds their schemas. */
const ADD_ON_MODELS: Record<string, string> = {
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

/** apiVersion -> the kubernetes-models module path holding its kinds ("apps/v1" -> "kubernetes-models/apps/v1"). */
function modulePathOf(apiVersion: string): string | undefined {
  if (!/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion)) return undefined;
  return ADD_ON_MODELS[apiVersion] ?? `kubernetes-models/${apiVersion}`;
}

/**
 * Only generally available APIs: kubernetes-models also ships long-removed ones
 * (extensions/v1beta1, policy/v1beta1, ...) that a current cluster refuses.
 */
function isGenerallyAvailable(apiVersion: string): boolean {
  return !/(alpha|beta)[0-9]*$/.test(apiVersion) && !apiVersion.startsWith('extensions/');
}

async function modelClassOf(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  if (!isGenerallyAvailable(apiVersion)) return undefined;
  const path = modulePathOf(apiVersion);
  if (!path || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
  let module: Record<string, unknown>;
  try {
    module = (await import(path)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const candidate = module[kind] as (ModelClass & { kind?: unknown; apiVersion?: unknown }) | undefined;
  if (typeof candidate !== 'function' || candidate.kind !== kind || candidate.apiVersion !== apiVersion) {
    return undefined;
  }
  return candidate;
}

export async function validateObject(object: K8sObject): Promise<string[]> {
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
    return ['apiVersion and kind must be strings'];
  }
  const name = object.metadata?.name;
  if (typeof name !== 'string' || !DNS_1123_SUBDOMAIN.test(name) || name.length > 253) {
    return [`${object.kind}: metadata.name must be a DNS-1123 subdomain`];
  }
  if (object.apiVersion === 'external-secrets.io/v1' && object.kind === 'ExternalSecret') {
    return validateExternalSecret(object);
  }
  const Model = await modelClassOf(object.apiVersion, object.kind);
  if (!Model) return [`${idOf(object)}: unknown kind ${object.apiVersion}/${object.kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [`${idOf(object)}: ${error instanceof Error ? error.message : String(error)}`];
  }
}

export async function validateAll(objects: K8sObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const object of objects) errors.push(...(await validateObject(object)));
  return errors;
}

// ---- ExternalSecret (external-secrets.io/v1), the fields this chart uses -----------------

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(value: Json, allowed: string[], path: string, errors: string[]): void {
  for (const key of Object.keys(value))
    if (!allowed.includes(key)) errors.push(`${path}.${key}: unknown field`);
}

function requireString(value: Json, key: string, path: string, errors: string[], pattern?: RegExp): void {
  const v = value[key];
  if (typeof v !== 'string' || v === '') errors.push(`${path}.${key}: required non-empty string`);
  else if (pattern && !pattern.test(v)) errors.push(`${path}.${key}: invalid value`);
}

function optionalEnum(value: Json, key: string, allowed: string[], path: string, errors: string[]): void {
  const v = value[key];
  if (v !== undefined && (typeof v !== 'string' || !allowed.includes(v))) {
    errors.push(`${path}.${key}: must be one of ${allowed.join(', ')}`);
  }
}

export function validateExternalSecret(object: K8sObject): string[] {
  const errors: string[] = [];
  const id = idOf(object);
  unknownKeys(object, ['apiVersion', 'kind', 'metadata', 'spec'], id, errors);
  const spec = object.spec;
  if (!isObject(spec)) return [...errors, `${id}.spec: required object`];
  unknownKeys(
    spec,
    ['refreshInterval', 'refreshPolicy', 'secretStoreRef', 'target', 'data', 'dataFrom'],
    `${id}.spec`,
    errors,
  );
  if (
    spec.refreshInterval !== undefined &&
    (typeof spec.refreshInterval !== 'string' ||
      !/^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/.test(spec.refreshInterval))
  ) {
    errors.push(`${id}.spec.refreshInterval: must be a duration`);
  }
  const store = spec.secretStoreRef;
  if (!isObject(store)) {
    errors.push(`${id}.spec.secretStoreRef: required object`);
  } else {
    unknownKeys(store, ['name', 'kind'], `${id}.spec.secretStoreRef`, errors);
    requireString(store, 'name', `${id}.spec.secretStoreRef`, errors, DNS_1123_SUBDOMAIN);
    optionalEnum(store, 'kind', ['SecretStore', 'ClusterSecretStore'], `${id}.spec.secretStoreRef`, errors);
  }
  const target = spec.target;
  if (target !== undefined) {
    if (!isObject(target)) {
      errors.push(`${id}.spec.target: must be an object`);
    } else {
      unknownKeys(
        target,
        ['name', 'creationPolicy', 'deletionPolicy', 'immutable', 'template'],
        `${id}.spec.target`,
        errors,
      );
      requireString(target, 'name', `${id}.spec.target`, errors, DNS_1123_SUBDOMAIN);
      optionalEnum(
        target,
        'creationPolicy',
        ['Owner', 'Orphan', 'Merge', 'None'],
        `${id}.spec.target`,
        errors,
      );
      optionalEnum(target, 'deletionPolicy', ['Delete', 'Merge', 'Retain'], `${id}.spec.target`, errors);
    }
  }
  const data = spec.data;
  if (data === undefined && spec.dataFrom === undefined)
    errors.push(`${id}.spec: data or dataFrom is required`);
  if (data !== undefined) {
    if (!Array.isArray(data) || data.length === 0) {
      errors.push(`${id}.spec.data: must be a non-empty list`);
    } else {
      data.forEach((item: unknown, i) => {
        const path = `${id}.spec.data[${i}]`;
        if (!isObject(item)) {
          errors.push(`${path}: must be an object`);
          return;
        }
        unknownKeys(item, ['secretKey', 'remoteRef', 'sourceRef'], path, errors);
        requireString(item, 'secretKey', path, errors, /^[-._a-zA-Z0-9]+$/);
        const ref = item.remoteRef;
        if (!isObject(ref)) {
          errors.push(`${path}.remoteRef: required object`);
          return;
        }
        unknownKeys(
          ref,
          ['key', 'property', 'version', 'metadataPolicy', 'conversionStrategy', 'decodingStrategy'],
          `${path}.remoteRef`,
          errors,
        );
        requireString(ref, 'key', `${path}.remoteRef`, errors);
        if (ref.property !== undefined && typeof ref.property !== 'string')
          errors.push(`${path}.remoteRef.property: must be a string`);
      });
    }
  }
  return errors;
}
