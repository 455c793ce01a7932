import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';

export const API_ENTRY = 'dist/apps/api/src/main.js';
export const CLI_ENTRY = 'dist/apps/cli/src/main.js';

/** Only what a process needs from the runner's environment; the rest comes from the case. */
function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** The scrape URL, on its own free port, unless the case sets METRICS_PORT itself. */
  readonly metricsUrl: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
}

export function runCli(
  args: string[],
  env: Record<string, string>,
  input?: string,
  cwd?: string,
): { status: number | null; stdout: string; stderr: string } {
  // Absolute, so that a case may run the CLI from another working directory.
  const result = spawnSync(process.execPath, [resolve(CLI_ENTRY), ...args], {
    env: { ...baseEnv(), NODE_ENV: 'test', ...env },
    encoding: 'utf8',
    // One boot takes 2 s here; a loaded CI machine has taken many times that.
    timeout: 120_000,
    input,
    cwd,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts the built API with plain Node (what production runs), without waiting for it. */
export async function spawnApi(
  env: Record<string, string>,
  options: { cwd?: string } = {},
): Promise<RunningProcess> {
  const port = await freePort();
  // Each process its own metrics port: the default (9464) would be shared by every case.
  const metricsPort = env.METRICS_PORT ?? String(await freePort());
  const child = spawn(process.execPath, [resolve(API_ENTRY)], {
    env: {
      ...baseEnv(),
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      METRICS_PORT: metricsPort,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    stdout: () => out,
    stderr: () => err,
    exited,
  };
}

/** Polls /health/live until the process answers; fails if it exits first. */
export async function waitUntilServing(proc: RunningProcess, attempts = 300): Promise<void> {
  let ended: number | string | undefined;
  void proc.exited.then((code) => (ended = code));
  for (let i = 0; i < attempts; i++) {
    if (ended !== undefined) throw new Error(`API exited (${ended}) before serving:\n${proc.stderr()}`);
    try {
      const res = await fetch(`${proc.url}/health/live`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('API did not start serving');
}

export async function startApi(
  env: Record<string, string>,
  options: { cwd?: string } = {},
): Promise<RunningProcess> {
  const proc = await spawnApi(env, options);
  await waitUntilServing(proc);
  return proc;
}
