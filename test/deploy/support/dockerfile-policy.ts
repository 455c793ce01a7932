import { Copy, DockerfileParser, From, JSONInstruction, type Instruction } from 'dockerfile-ast';
import { posix } from 'node:path';
import { isSecretName, looksLikeCredential } from './k8s-policy.js';
import { heapCapsOf } from './node-heap.js';

/** Image rules, checked on the Dockerfile parsed by dockerfile-ast. */
export const DOCKERFILE_RULES = {
  'DOCKER-MULTI-STAGE':
    'a build stage and a separate final stage that copies the build output (dist) from it',
  'DOCKER-BASE-PINNED': 'every external base image has a tag other than latest (or a digest), no variables',
  'DOCKER-NODE-MAJOR': "every Node base image is the project's pinned LTS major (package.json engines)",
  'DOCKER-FINAL-DISTROLESS': 'the final stage is gcr.io/distroless/nodejs<major>-debian<N>, nonroot variant',
  'DOCKER-USER': 'the final stage ends as a numeric non-root USER uid:gid (>= 10000)',
  'DOCKER-PROD-DEPS':
    'node_modules in the final stage come from a stage that installed production dependencies only',
  'DOCKER-OCI-LABELS':
    'the OCI labels title/description/source/revision/version/created/licenses, build values from ARGs',
  'DOCKER-HEALTHCHECK':
    'the final stage has an exec-form HEALTHCHECK running a copied node script against /health/live',
  'DOCKER-EXEC-FORM': 'CMD and ENTRYPOINT in JSON (exec) form; the final stage has a CMD',
  'DOCKER-NO-SECRETS': 'no secret-named or credential-looking ARG/ENV, no secret files copied',
  'DOCKER-NO-ADD': 'COPY, never ADD (no remote fetches or implicit unpacking)',
  'DOCKER-NO-BROAD-COPY': 'no `COPY . ...` of the whole build context',
  'DOCKER-NODE-ENV': 'the final stage sets NODE_ENV=production',
  'DOCKER-NODE-HEAP':
    'the final stage caps the V8 heap: NODE_OPTIONS with --max-old-space-size and --max-semi-space-size',
  DOCKERIGNORE: '.dockerignore excludes .env*, .orderops/, .compose/, node_modules/, tests and git data',
} as const;

export type DockerRuleId = keyof typeof DOCKERFILE_RULES;

export interface DockerViolation {
  rule: DockerRuleId;
  line: number;
  message: string;
}

export interface DockerContext {
  /** The LTS major pinned by package.json engines. */
  nodeMajor: number;
  /** Reads a file of the build context (for the health-check script), or undefined. */
  readContextFile: (path: string) => string | undefined;
}

interface Stage {
  from: From;
  name: string | undefined;
  instructions: Instruction[];
}

const OCI_LABELS = ['title', 'description', 'source', 'revision', 'version', 'created', 'licenses'].map(
  (l) => `org.opencontainers.image.${l}`,
);
/** Labels whose value changes per build and so must come from a build ARG. */
const OCI_BUILD_LABELS = ['source', 'revision', 'version', 'created'].map(
  (l) => `org.opencontainers.image.${l}`,
);

const SECRET_FILE_PATTERN = /(^|\/)(\.env[^/]*|\.orderops|\.compose|[^/]*\.pem|[^/]*\.key|id_rsa[^/]*)$/;

function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction instanceof From) {
      stages.push({ from: instruction, name: instruction.getBuildStage() ?? undefined, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return stages;
}

function lineOf(instruction: Instruction): number {
  return instruction.getRange().start.line + 1;
}

function jsonForm(instruction: Instruction): string[] | undefined {
  if (!(instruction instanceof JSONInstruction) || instruction.getOpeningBracket() === null) return undefined;
  if (instruction.getClosingBracket() === null) return undefined;
  return instruction.getJSONStrings().map((s) => s.getJSONValue());
}

function propertiesOf(instruction: Instruction): [string, string | null][] {
  const withProps = instruction as Instruction & {
    getProperties?: () => { getName(): string; getValue(): string | null }[];
  };
  return (withProps.getProperties?.() ?? []).map((p) => [p.getName(), p.getValue()]);
}

function copyFrom(instruction: Instruction): string | undefined {
  if (!(instruction instanceof Copy)) return undefined;
  return instruction.getFromFlag()?.getValue() ?? undefined;
}

function installsProductionOnly(stage: Stage): boolean {
  return stage.instructions.some((i) => {
    if (i.getKeyword() !== 'RUN') return false;
    const run = i.getArgumentsContent() ?? '';
    return /\bnpm\s+(ci|install|prune)\b[^&;|]*--(omit=dev|production)\b/.test(run);
  });
}

export function checkDockerfile(content: string, context: DockerContext): DockerViolation[] {
  const violations: DockerViolation[] = [];
  const report = (rule: DockerRuleId, line: number, message: string): void =>
    void violations.push({ rule, line, message });
  const dockerfile = DockerfileParser.parse(content);
  const all = dockerfile.getInstructions();
  const stages = stagesOf(all);
  const final = stages[stages.length - 1];
  if (!final) {
    report('DOCKER-MULTI-STAGE', 1, 'no FROM');
    return violations;
  }
  const finalLine = lineOf(final.from);
  const stageNames = new Set(stages.map((s) => s.name).filter((n): n is string => n !== undefined));

  // DOCKER-MULTI-STAGE
  // The build output (dist) must come from a build stage, not from the build context.
  const copiesFromStage = final.instructions.some((i) => {
    const from = copyFrom(i);
    return from !== undefined && stageNames.has(from) && /\bdist\b/.test(i.getArgumentsContent() ?? '');
  });
  if (stages.length < 2 || !copiesFromStage)
    report('DOCKER-MULTI-STAGE', finalLine, 'the final stage copies nothing from a build stage');

  // Base images
  for (const stage of stages) {
    const image = stage.from.getImage() ?? '';
    const line = lineOf(stage.from);
    if (stageNames.has(image) && stages.indexOf(stage) > 0) continue; // FROM an earlier stage
    if (image.includes('$')) {
      report('DOCKER-BASE-PINNED', line, `${image} uses a variable`);
      continue;
    }
    const tag = stage.from.getImageTag();
    const digest = stage.from.getImageDigest();
    if (!digest && (!tag || tag === 'latest')) report('DOCKER-BASE-PINNED', line, `${image} is not pinned`);
    const name = stage.from.getImageName() ?? '';
    const nodeMajor =
      name === 'node' || name === 'library/node'
        ? /^(\d+)/.exec(tag ?? '')?.[1]
        : /nodejs(\d+)/.exec(name)?.[1];
    if (nodeMajor !== undefined && Number(nodeMajor) !== context.nodeMajor) {
      report(
        'DOCKER-NODE-MAJOR',
        line,
        `${image} is Node ${nodeMajor}, the project pins ${context.nodeMajor}`,
      );
    }
    if ((name === 'node' || name.includes('nodejs')) && nodeMajor === undefined) {
      report('DOCKER-NODE-MAJOR', line, `${image} does not name a Node major`);
    }
  }
  const finalName = final.from.getImageName() ?? '';
  const finalRegistry = final.from.getRegistry();
  const finalTag = final.from.getImageTag() ?? '';
  if (
    finalRegistry !== 'gcr.io' ||
    !new RegExp(`^distroless/nodejs${context.nodeMajor}-debian\\d+$`).test(finalName) ||
    !/^nonroot\b/.test(finalTag)
  ) {
    report('DOCKER-FINAL-DISTROLESS', finalLine, `final stage is ${final.from.getImage() ?? '?'}`);
  }

  // DOCKER-USER
  const users = final.instructions.filter((i) => i.getKeyword() === 'USER');
  const user = users[users.length - 1];
  const userMatch = /^(\d+):(\d+)$/.exec(user?.getArgumentsContent()?.trim() ?? '');
  if (!user || !userMatch || Number(userMatch[1]) < 10000 || Number(userMatch[2]) < 10000) {
    report(
      'DOCKER-USER',
      user ? lineOf(user) : finalLine,
      `final USER is ${user?.getArgumentsContent() ?? 'unset'}`,
    );
  }

  // DOCKER-PROD-DEPS
  const moduleCopies = final.instructions.filter(
    (i) => i.getKeyword() === 'COPY' && /node_modules/.test(i.getArgumentsContent() ?? ''),
  );
  if (moduleCopies.length === 0)
    report('DOCKER-PROD-DEPS', finalLine, 'no node_modules copied into the final stage');
  for (const copy of moduleCopies) {
    const source = stages.find((s) => s.name === copyFrom(copy));
    if (!source || !installsProductionOnly(source)) {
      report(
        'DOCKER-PROD-DEPS',
        lineOf(copy),
        `node_modules come from ${copyFrom(copy) ?? 'the build context'}, not a production-only install`,
      );
    }
  }

  // DOCKER-OCI-LABELS
  const finalArgs = new Set(
    final.instructions
      .filter((i) => i.getKeyword() === 'ARG')
      .flatMap((i) => propertiesOf(i).map(([n]) => n)),
  );
  const labels = new Map(
    final.instructions.filter((i) => i.getKeyword() === 'LABEL').flatMap((i) => propertiesOf(i)),
  );
  for (const label of OCI_LABELS) {
    const value = labels.get(label);
    if (!value) {
      report('DOCKER-OCI-LABELS', finalLine, `${label} missing`);
      continue;
    }
    if (OCI_BUILD_LABELS.includes(label)) {
      const variable = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(value)?.[1];
      if (!variable || !finalArgs.has(variable))
        report('DOCKER-OCI-LABELS', finalLine, `${label} is not taken from a build ARG`);
    }
  }

  // DOCKER-HEALTHCHECK
  const healthchecks = final.instructions.filter((i) => i.getKeyword() === 'HEALTHCHECK');
  const healthcheck = healthchecks[healthchecks.length - 1];
  const workdirs = final.instructions.filter((i) => i.getKeyword() === 'WORKDIR');
  const workdir = workdirs[workdirs.length - 1]?.getArgumentsContent()?.trim() ?? '/';
  // [source in the build context, absolute path in the image] of each single-file COPY.
  const copiedFiles = final.instructions
    .filter((i) => i.getKeyword() === 'COPY' && copyFrom(i) === undefined)
    .map((i) => i.getArguments().map((a) => a.getValue()))
    .filter((args) => args.length === 2)
    .map(([source, target]) => {
      const file = target.endsWith('/') ? `${target}${posix.basename(source)}` : target;
      return [source, posix.resolve(workdir, file)] as const;
    });
  const healthProblem = ((): string | undefined => {
    if (!healthcheck) return 'no HEALTHCHECK';
    const raw = healthcheck.getArgumentsContent() ?? '';
    const match = /^CMD\s+(\[.*\])\s*$/s.exec(raw);
    if (!match) return 'HEALTHCHECK is not CMD in exec form';
    let argv: unknown;
    try {
      argv = JSON.parse(match[1]);
    } catch {
      return 'HEALTHCHECK CMD is not a JSON array';
    }
    if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string') || argv.length < 2)
      return 'HEALTHCHECK CMD is not node SCRIPT';
    const [binary, script] = argv;
    if (!/(^|\/)node$/.test(binary)) return `HEALTHCHECK runs ${binary}, not node`;
    const copy = copiedFiles.find(([, target]) => target === posix.resolve(workdir, script));
    if (!copy) return `HEALTHCHECK script ${script} is not copied into the image`;
    const source = context.readContextFile(copy[0]);
    if (source === undefined || !source.includes('/health/live'))
      return `${copy[0]} does not probe /health/live`;
    return undefined;
  })();
  if (healthProblem)
    report('DOCKER-HEALTHCHECK', healthcheck ? lineOf(healthcheck) : finalLine, healthProblem);

  // DOCKER-EXEC-FORM
  for (const instruction of all.filter((i) => ['CMD', 'ENTRYPOINT'].includes(i.getKeyword()))) {
    if (!jsonForm(instruction))
      report('DOCKER-EXEC-FORM', lineOf(instruction), `${instruction.getKeyword()} is in shell form`);
  }
  if (!final.instructions.some((i) => i.getKeyword() === 'CMD'))
    report('DOCKER-EXEC-FORM', finalLine, 'the final stage has no CMD');

  // DOCKER-NO-SECRETS
  for (const instruction of all.filter((i) => ['ARG', 'ENV'].includes(i.getKeyword()))) {
    for (const [name, value] of propertiesOf(instruction)) {
      if (isSecretName(name))
        report('DOCKER-NO-SECRETS', lineOf(instruction), `${instruction.getKeyword()} ${name} is a secret`);
      else if (value && looksLikeCredential(value))
        report('DOCKER-NO-SECRETS', lineOf(instruction), `${name} holds a credential`);
    }
  }
  for (const instruction of all.filter(
    (i) => ['COPY', 'ADD'].includes(i.getKeyword()) && copyFrom(i) === undefined,
  )) {
    const sources = instruction
      .getArguments()
      .map((a) => a.getValue())
      .slice(0, -1);
    for (const source of sources) {
      if (SECRET_FILE_PATTERN.test(source.replace(/\/+$/, '')))
        report('DOCKER-NO-SECRETS', lineOf(instruction), `copies ${source}`);
    }
  }

  // DOCKER-NO-ADD, DOCKER-NO-BROAD-COPY
  for (const instruction of all.filter((i) => i.getKeyword() === 'ADD'))
    report('DOCKER-NO-ADD', lineOf(instruction), 'ADD used');
  for (const instruction of all.filter((i) => i.getKeyword() === 'COPY' && copyFrom(i) === undefined)) {
    const sources = instruction
      .getArguments()
      .map((a) => a.getValue())
      .slice(0, -1);
    if (sources.some((s) => s === '.' || s === './' || s === '*'))
      report('DOCKER-NO-BROAD-COPY', lineOf(instruction), 'copies the whole context');
  }

  // DOCKER-NODE-ENV
  const finalEnv = new Map(
    final.instructions.filter((i) => i.getKeyword() === 'ENV').flatMap((i) => propertiesOf(i)),
  );
  if (finalEnv.get('NODE_ENV') !== 'production')
    report('DOCKER-NODE-ENV', finalLine, 'NODE_ENV is not production');

  // DOCKER-NODE-HEAP
  const heap = heapCapsOf(finalEnv.get('NODE_OPTIONS') ?? undefined);
  if (heap.oldSpaceMiB === undefined || heap.semiSpaceMiB === undefined)
    report('DOCKER-NODE-HEAP', finalLine, 'NODE_OPTIONS does not cap old and semi space');

  return violations;
}

/** Entries .dockerignore must exclude (any of the spellings). */
const REQUIRED_IGNORES: [string, string[]][] = [
  ['.env files', ['.env*', '**/.env*']],
  ['.orderops/', ['.orderops', '.orderops/', '**/.orderops', '**/.orderops/']],
  ['.compose/', ['.compose', '.compose/']],
  ['node_modules/', ['node_modules', 'node_modules/', '**/node_modules', '**/node_modules/']],
  ['test/', ['test', 'test/']],
  ['.git', ['.git', '.git/']],
];

export function checkDockerignore(content: string): DockerViolation[] {
  const lines = content
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const violations: DockerViolation[] = [];
  for (const [what, spellings] of REQUIRED_IGNORES) {
    if (!spellings.some((s) => lines.includes(s)))
      violations.push({ rule: 'DOCKERIGNORE', line: 0, message: `${what} not excluded` });
  }
  // A later negation would re-include what was excluded.
  for (const line of lines.filter((l) => l.startsWith('!'))) {
    if (/\.env|\.orderops|\.compose|\.git\b|node_modules/.test(line)) {
      violations.push({ rule: 'DOCKERIGNORE', line: 0, message: `${line} re-includes excluded data` });
    }
  }
  return violations;
}

export function dockerRuleIds(violations: DockerViolation[]): DockerRuleId[] {
  return [...new Set(violations.map((v) => v.rule))].sort();
}
