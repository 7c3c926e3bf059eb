import { fileURLToPath } from 'node:url';
import { IgnoreMode } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';

/** The repository root: every image builds from it, as its Dockerfile's header says. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The one state-machine definition, deployed as is (DefinitionBody.fromFile). */
export const DEFINITION_FILE = fileURLToPath(
  new URL('../../contracts/state-machine.asl.json', import.meta.url),
);

/** A container image built from a Dockerfile of the repository. */
export interface ImageSpec {
  /** The Dockerfile, relative to the repository root. */
  readonly file: string;
  /**
   * What the build context holds besides the Dockerfile: the paths its COPY lines read. Everything
   * else is left out, so an unrelated change (docs, tests, another part) neither rebuilds nor
   * re-tags the image.
   */
  readonly context: readonly string[];
}

// Every workspace manifest the lock file knows: the Dockerfiles copy them so `npm ci` accepts the lock.
const MANIFESTS = [
  'package.json',
  'package-lock.json',
  'tsconfig.base.json',
  'contracts/package.json',
  'model-store/package.json',
  'training-job/package.json',
  'inference/package.json',
  'steps/package.json',
  'runners/local/package.json',
  'runners/aws/package.json',
];

/** The training container (SageMaker and Fargate). */
export const TRAINING_IMAGE: ImageSpec = {
  file: 'training-job/Dockerfile',
  context: [
    ...MANIFESTS,
    'contracts/tsconfig.json',
    'contracts/src',
    'training-job/tsconfig.json',
    'training-job/image/package.json',
    'training-job/src',
    'training-job/bin',
  ],
};

/** The inference function's base image: code and runtime, no model (promotion adds the model layer). */
export const INFERENCE_IMAGE: ImageSpec = {
  file: 'inference/Dockerfile',
  context: [...MANIFESTS, 'contracts/src', 'training-job/src', 'inference/src', 'inference/build.mjs'],
};

/** The step functions' image: one entry point per function, chosen by CMD. */
export const STEPS_IMAGE: ImageSpec = {
  file: 'runners/aws/Dockerfile',
  context: [
    ...MANIFESTS,
    'contracts/src',
    'model-store/src',
    'training-job/src',
    'steps/src',
    'runners/aws/src',
    'inference/build.mjs',
    'runners/aws/build.mjs',
  ],
};

/** Asset options that build `spec` for linux/amd64 (the Lambda and Fargate architecture used here). */
export function imageAssetOptions(spec: ImageSpec) {
  return {
    directory: REPO_ROOT,
    file: spec.file,
    platform: Platform.LINUX_AMD64,
    ignoreMode: IgnoreMode.DOCKER,
    // .dockerignore syntax: leave everything out, then let the listed paths back in.
    exclude: ['*', ...[spec.file, ...spec.context].map((path) => `!${path}`)],
  };
}

/** The CMD (entry point) of each function in the steps image; the build script writes `<path>.mjs`. */
export const STEP_HANDLERS = {
  evaluate: 'steps/evaluate/lambda.handler',
  register: 'steps/register/lambda.handler',
  approval: 'steps/approval/lambda.handler',
  promote: 'steps/promote/lambda.handler',
  smokeTest: 'steps/smoke-test/lambda.handler',
  trainingTask: 'steps/training-task/lambda.handler',
  approvalLinks: 'approval-links/lambda.handler',
} as const;
