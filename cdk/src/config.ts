import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { ConfigError } from './errors.js';

/** The stages a configuration must define; each is a full, independent set of stacks. */
export const STAGE_NAMES = ['dev', 'staging', 'prod'] as const;
/** One of {@link STAGE_NAMES}. */
export type StageName = (typeof STAGE_NAMES)[number];

/** `cdk/stages.json`, the configuration the app reads when no other file is named. */
export const DEFAULT_CONFIG_PATH = new URL('../stages.json', import.meta.url).pathname;

const repository = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'write the repository as owner/name, e.g. acme/slipway');

const stageSchema = z
  .object({
    /** AWS account id; default: the account of the credentials `cdk` runs with. */
    account: z
      .string()
      .regex(/^\d{12}$/, 'an AWS account id is 12 digits')
      .optional(),
    /** AWS region; default: the region of the credentials `cdk` runs with. */
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'a region looks like eu-west-1')
      .optional(),
    /** The CDK bootstrap qualifier of the target account (`cdk bootstrap --qualifier`). */
    bootstrapQualifier: z
      .string()
      .regex(/^[a-z0-9]{1,10}$/)
      .default('hnb659fds'),
    /** Days CloudWatch keeps every log group of the stage. */
    logRetentionDays: z.number().int().positive().default(30),
    training: z
      .object({
        /** The SageMaker instance type, with its `ml.` prefix as CreateTrainingJob wants it. */
        instanceType: z
          .string()
          .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'a SageMaker instance type looks like ml.m5.large')
          .default('ml.m5.large'),
        /** Fargate task size (the Fargate alternative to SageMaker). */
        fargateCpu: z.union([z.literal(1024), z.literal(2048), z.literal(4096)]).default(2048),
        fargateMemoryMiB: z.number().int().min(2048).max(30720).default(4096),
        /** Availability zones of the training VPC (isolated subnets, one per zone). */
        availabilityZones: z.number().int().min(1).max(3).default(1),
      })
      .prefault({}),
    inference: z
      .object({
        /** A public Function URL (`NONE` auth) instead of IAM-signed requests only. */
        publicUrl: z.boolean().default(false),
        memoryMiB: z.number().int().min(512).max(10240).default(1024),
        /** The p99 latency (ms, over 5 minutes) above which the latency alarm fires. */
        p99LatencyMs: z.number().int().positive().default(1000),
      })
      .prefault({}),
    /** Email addresses subscribed to approval requests (each must confirm its subscription). */
    approvers: z.array(z.email()).default([]),
    /** Email addresses subscribed to the stage's alarms. */
    alarmEmails: z.array(z.email()).default([]),
    github: z
      .object({
        /**
         * Create the account's GitHub OIDC provider in this stage. An account has one provider per URL:
         * when stages share an account, exactly one of them creates it and the others import it.
         */
        createOidcProvider: z.boolean().default(true),
        /**
         * `sub` claims (after `repo:<owner>/<name>:`) that may assume the pipeline role,
         * e.g. `pull_request`, `ref:refs/heads/main`, `environment:prod`.
         */
        pipelineSubjects: z.array(z.string().min(1)).min(1).default(['pull_request']),
        /** `sub` claims that may assume the deploy role; default: the stage's GitHub environment. */
        deploySubjects: z.array(z.string().min(1)).min(1).optional(),
      })
      .prefault({}),
  })
  .strict();

const configSchema = z
  .object({
    $comment: z.string().optional(),
    /** The GitHub repository whose workflows may assume the stage's roles. */
    github: z.object({ repository }).strict(),
    stages: z.object(
      Object.fromEntries(STAGE_NAMES.map((s) => [s, stageSchema])) as {
        [K in StageName]: typeof stageSchema;
      },
    ),
  })
  .strict();

/** The whole configuration file, defaults applied. */
export type SlipwayConfig = z.output<typeof configSchema>;
/** What a configuration file may contain (defaults not yet applied). */
export type SlipwayConfigInput = z.input<typeof configSchema>;

/** One stage's settings, defaults applied, with its name and the repository. */
export interface StageConfig extends z.output<typeof stageSchema> {
  readonly stage: StageName;
  readonly repository: string;
}

/**
 * Validates a configuration object; the error names every bad field and how to fix it.
 * @example parseConfig(JSON.parse(readFileSync('cdk/stages.json', 'utf8')))
 */
export function parseConfig(raw: unknown, source = 'configuration'): SlipwayConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`${source} is not valid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Reads and validates a configuration file (default `cdk/stages.json`). */
export function readConfig(path: string = DEFAULT_CONFIG_PATH): SlipwayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: pass an existing file with -c config=<path>`, {
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not JSON: fix its syntax`, { cause: error });
  }
  return parseConfig(raw, path);
}

/** The settings of one stage; an unknown name is an error listing the known ones. */
export function stageConfig(config: SlipwayConfig, stage: string): StageConfig {
  if (!(STAGE_NAMES as readonly string[]).includes(stage)) {
    throw new ConfigError(`unknown stage ${JSON.stringify(stage)}: pass -c stage=${STAGE_NAMES.join('|')}`);
  }
  const name = stage as StageName;
  return { ...config.stages[name], stage: name, repository: config.github.repository };
}

/**
 * Applies `-c createOidcProvider=true|false` over the stage's `github.createOidcProvider`. An account
 * holds one GitHub OIDC provider: when it already has one (another stage, another project), creating it
 * again fails the deploy with `EntityAlreadyExists`; deploy with `-c createOidcProvider=false` to import it.
 * @example withContextOverrides(config, { createOidcProvider: app.node.tryGetContext('createOidcProvider') })
 */
export function withContextOverrides(
  config: StageConfig,
  context: { createOidcProvider?: unknown },
): StageConfig {
  const raw = context.createOidcProvider;
  if (raw === undefined) return config;
  const value = raw === true || raw === 'true' ? true : raw === false || raw === 'false' ? false : undefined;
  if (value === undefined) {
    throw new ConfigError(
      `-c createOidcProvider must be true or false, got ${JSON.stringify(raw)}; false imports the account's existing GitHub provider`,
    );
  }
  return { ...config, github: { ...config.github, createOidcProvider: value } };
}
