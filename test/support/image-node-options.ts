import { readFileSync } from 'node:fs';

/** NODE_OPTIONS as the container image sets them (the Dockerfile is the one source). */
export function imageNodeOptions(): string {
  return /NODE_OPTIONS="([^"]*)"/.exec(readFileSync('Dockerfile', 'utf8'))?.[1] ?? '';
}
