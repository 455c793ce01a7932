// One Node major everywhere: the pinned `node` dev dependency, `engines`, `.nvmrc`, the
// Dockerfile's base images and the chart's documented runtime must all name the same one.
//   node scripts/supply-chain/node-major.mjs [project dir]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const root = process.argv[2] ?? process.cwd();
const read = (file) => readFileSync(join(root, file), 'utf8');
const manifest = JSON.parse(read('package.json'));

/** Where each source names a major; a source that names none or two is reported as such. */
const majors = new Map();
const note = (source, values) => majors.set(source, [...new Set(values.map(Number))]);

note('package.json devDependencies.node', [/(\d+)/.exec(manifest.devDependencies?.node ?? '')?.[1] ?? NaN]);
// `engines` must admit exactly one major: ">=24 <25" (or "^24", "24.x").
const engines = manifest.engines?.node ?? '';
const range = /^>=\s*(\d+)(?:\.\d+){0,2}\s+<\s*(\d+)(?:\.0){0,2}$/.exec(engines.trim());
const caret = /^(?:\^|~)?(\d+)(?:\.(?:\d+|x)){0,2}$/.exec(engines.trim());
note(
  'package.json engines.node',
  range && Number(range[2]) === Number(range[1]) + 1 ? [range[1]] : caret ? [caret[1]] : [NaN],
);
note('.nvmrc', [/^v?(\d+)/.exec(read('.nvmrc').trim())?.[1] ?? NaN]);
const dockerfile = read('Dockerfile');
const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
const imageMajors = froms.flatMap((image) => {
  const m = /(?:^|\/)node:(\d+)|nodejs(\d+)/.exec(image);
  return m ? [m[1] ?? m[2]] : [];
});
note('Dockerfile base images', imageMajors.length > 0 ? imageMajors : [NaN]);
const chart = /orderops\.io\/node-major:\s*['"]?(\d+)/.exec(read('helm/orderops/Chart.yaml'));
note('helm/orderops/Chart.yaml annotation orderops.io/node-major', [chart?.[1] ?? NaN]);

const all = new Set([...majors.values()].flat());
const report = [...majors].map(([source, values]) => `  ${source}: ${values.join(', ')}`).join('\n');
if (all.size !== 1 || all.has(NaN)) {
  process.stderr.write(`Node majors disagree (or one is missing):\n${report}\n`);
  process.exit(1);
}
process.stdout.write(`Node ${[...all][0]} everywhere:\n${report}\n`);
