// The house rule (docs/architecture.md), checked by `npm test`:
//   contracts ← cores (model-store, training-job, inference, steps) ← runners ← apps; cdk → contracts.
// Paths are the workspaces' source folders; imports of @slipway/* resolve to them through the
// "source" export condition, so an import by package name counts the same as a relative one.
const CORES = '(model-store|training-job|inference|steps)';
const OTHER_WORKSPACES = '^(model-store|training-job|inference|steps|runners|apps|cdk)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files that import each other in a loop cannot be understood or moved one at a time.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A source file nothing imports is dead, unless it is an entry point.',
      from: {
        orphan: true,
        pathNot: [
          '\\.d\\.ts$',
          '(^|/)src/index\\.ts$',
          '^runners/aws/src/(steps/[^/]+|approval-links)/lambda\\.ts$',
          '^inference/src/handler\\.ts$',
          '^inference/src/aws-lambda\\.ts$',
          '^apps/cli/src/serve-worker\\.ts$',
          '^apps/console/web/main\\.ts$',
          '^cdk/bin/',
          '^contracts/src/(definition|tar)\\.ts$',
        ],
      },
      to: {},
    },
    {
      name: 'contracts-imports-no-workspace',
      severity: 'error',
      comment: 'contracts is the ground floor: every part may import it, it imports none of them.',
      from: { path: '^contracts/' },
      to: { path: OTHER_WORKSPACES },
    },
    {
      name: 'cores-do-not-import-runners-or-apps',
      severity: 'error',
      from: { path: `^${CORES}/` },
      to: { path: '^(runners|apps|cdk)/' },
    },
    {
      name: 'model-store-and-training-job-stand-alone',
      severity: 'error',
      comment: 'The registry and the trainer know nothing of serving or of the pipeline steps.',
      from: { path: '^(model-store|training-job)/' },
      to: { path: '^(inference|steps)/' },
    },
    {
      name: 'cores-do-not-import-each-other-upward',
      severity: 'error',
      comment: 'inference serves a model; it does not run the pipeline steps or read the registry.',
      from: { path: '^inference/' },
      to: { path: '^(steps|model-store)/' },
    },
    {
      name: 'runners-do-not-import-apps',
      severity: 'error',
      from: { path: '^runners/' },
      to: { path: '^(apps|cdk)/' },
    },
    {
      name: 'the-aws-runner-does-not-import-the-local-one',
      severity: 'error',
      comment:
        'What both runners need (the execution input, state names, history events) lives in contracts.',
      from: { path: '^runners/aws/' },
      to: { path: '^runners/local/' },
    },
    {
      name: 'the-local-runner-does-not-import-aws',
      severity: 'error',
      from: { path: '^runners/local/' },
      to: { path: '^runners/aws/' },
    },
    {
      name: 'cdk-depends-on-contracts-only',
      severity: 'error',
      from: { path: '^cdk/' },
      to: { path: '^(model-store|training-job|inference|steps|runners|apps)/' },
    },
    {
      name: 'no-aws-sdk-where-code-runs-locally',
      severity: 'error',
      comment:
        'AWS SDK clients belong to runners/aws (and the S3 store and training container, as optional peers); the apps reach AWS through runners/aws.',
      from: { path: '^(contracts|inference|steps|runners/local|apps)/' },
      to: { path: 'node_modules/@aws-sdk/' },
    },
    {
      name: 'aws-sdk-only-in-the-adapters-of-cores',
      severity: 'error',
      comment:
        'In model-store only the S3 backend (and open.ts, which loads it for s3:// URIs) and in training-job ' +
        'only the container code (src/remote) touch the SDK: everything else in them runs with no AWS account.',
      from: {
        path: '^(model-store|training-job)/',
        pathNot: '^(model-store/src/(backends/s3|open)\\.ts$|training-job/src/remote/)',
      },
      to: { path: 'node_modules/@aws-sdk/' },
    },
    {
      name: 'the-aws-sdk-is-only-an-optional-peer-of-cores',
      severity: 'error',
      comment:
        'What runs locally never depends on an AWS SDK client: the adapters of cores that import one (the S3 ' +
        'store, the training container) name it in peerDependencies with peerDependenciesMeta.optional, and ' +
        'what takes that path (apps, runners/aws, the training image) depends on it. Declared in dependencies, ' +
        'optionalDependencies or bundleDependencies, npm would install it with every local use.',
      from: { path: '^(contracts|model-store|training-job|inference|steps|runners/local)/' },
      to: { path: 'node_modules/@aws-sdk/', dependencyTypes: ['npm', 'npm-optional', 'npm-bundled'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(?!node_modules/).*/(dist|test|bench)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      conditionNames: ['source', 'import', 'node', 'default'],
      exportsFields: ['exports'],
      extensions: ['.ts', '.mjs', '.js', '.json'],
      mainFields: ['module', 'main'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
