import swc from 'unplugin-swc';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const lib = (name: string): string => fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url));

export default defineConfig({
  plugins: [
    // esbuild (Vite's default) emits no decorator metadata, which Nest's DI needs.
    swc.vite({ module: { type: 'es6' }, jsc: { target: 'es2023' } }),
  ],
  resolve: {
    alias: {
      '@orderops/core': lib('core'),
      '@orderops/access': lib('access'),
      '@orderops/auth': lib('auth'),
      '@orderops/audit': lib('audit'),
      '@orderops/pii': lib('pii'),
      '@orderops/orders': lib('orders'),
    },
  },
  test: {
    include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
