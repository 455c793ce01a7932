/** Kept equal to package.json's version by a test (test/cli/usage.e2e-spec.ts); `--version` prints it. */
export const CLI_VERSION = '0.1.0';
