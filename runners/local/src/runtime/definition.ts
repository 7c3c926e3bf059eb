import { readFileSync } from 'node:fs';
import { STATES } from '@slipway/contracts';
import { DEFINITION_PATH } from '@slipway/contracts/definition';
import { DefinitionError } from './errors.js';

export { DEFINITION_PATH };

/** Reads the definition's text, `${Placeholders}` still in it. */
export function readDefinitionText(path: string = DEFINITION_PATH): string {
  return readFileSync(path, 'utf8');
}

const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9]*)\}/g;

/** Every `${Name}` the definition needs a value for, sorted. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))].sort();
}

/**
 * Replaces each `${Name}` with its value, the way Step Functions' definitionSubstitutions do (plain text
 * replacement inside JSON strings). A missing value is an error naming it, never an empty string.
 */
export function substitute(text: string, values: Readonly<Record<string, string>>): string {
  const missing = placeholders(text).filter((name) => values[name] === undefined);
  if (missing.length > 0) {
    throw new DefinitionError(`no value for placeholder(s) ${missing.map((m) => `\${${m}}`).join(', ')}`);
  }
  return text.replace(PLACEHOLDER, (_, name: string) => JSON.stringify(values[name]).slice(1, -1));
}

export interface TaskResource {
  /** e.g. `lambda`, `sagemaker`, `ecs`. */
  readonly service: string;
  /** e.g. `invoke`, `createTrainingJob`, `runTask`. */
  readonly action: string;
  /** Request-response, run-a-job (`.sync`) or callback (`.waitForTaskToken`). */
  readonly pattern: 'request' | 'sync' | 'waitForTaskToken';
}

/** Parses an optimized-integration ARN such as `arn:aws:states:::lambda:invoke.waitForTaskToken`. */
export function parseResource(resource: string): TaskResource | undefined {
  const match =
    /^arn:aws[a-z-]*:states:::([a-z0-9-]+):([A-Za-z]+)(?:\.(sync|waitForTaskToken))?(?::2)?$/.exec(resource);
  if (!match) return undefined;
  return {
    service: match[1] as string,
    action: match[2] as string,
    pattern: (match[3] as 'sync' | 'waitForTaskToken' | undefined) ?? 'request',
  };
}

/** A state as the checks here read it (a loose view of ASL). */
export interface AslState {
  readonly Type: string;
  readonly Retry?: readonly { readonly ErrorEquals: readonly string[] }[];
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
  readonly TimeoutSecondsPath?: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly Choices?: readonly { readonly Next: string }[];
  readonly Catch?: readonly { readonly ErrorEquals: readonly string[]; readonly Next: string }[];
  readonly [field: string]: unknown;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
  readonly TimeoutSeconds?: number;
  readonly QueryLanguage?: string;
  readonly [field: string]: unknown;
}

/**
 * The only error names a Retry may list: each can succeed when tried again (throttling, capacity, a
 * transient service or storage failure). A deterministic failure (a trainer refusing its
 * hyperparameters, a model onnxruntime cannot load, a bad event) fails once and at once, so
 * `States.ALL`, `States.TaskFailed` and the steps' own error names are never retried.
 */
export const RETRYABLE_ERRORS: Readonly<Record<string, string>> = {
  // https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
  'Lambda.ClientExecutionTimeoutException': 'a transient Lambda service error (500)',
  'Lambda.ServiceException': 'a transient Lambda service error (500)',
  'Lambda.AWSLambdaException': 'a transient Lambda service error (500)',
  'Lambda.SdkClientException': 'a transient Lambda service error (500)',
  'Lambda.TooManyRequestsException': 'the concurrency limit was hit; capacity frees up',
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTrainingJob.html (Errors)
  'SageMaker.ThrottlingException': 'CreateTrainingJob was throttled; the job was not created',
  'SageMaker.ResourceLimitExceededException': 'an instance or job limit was reached; the job was not created',
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html (Errors)
  'ECS.ThrottlingException': 'RunTask was throttled',
  'ECS.ServerException': 'a server-side ECS error',
  // https://docs.aws.amazon.com/step-functions/latest/dg/connect-ecs.html: RunTask's Failures (e.g. no capacity)
  'AmazonECS.Unknown': 'RunTask answered with Failures, such as no capacity',
  // model-store's StorageError: the network, the disk or the server failed (not a missing or bad record)
  StorageError: 'a storage call failed for a transient reason',
};

/** setTimeout's limit, which the local interpreter uses for timeouts (FACTS.md). */
export const MAX_TIMEOUT_SECONDS = 2_147_483;
const FORBIDDEN_FIELDS = ['Arguments', 'Output', 'Assign', 'HeartbeatSeconds', 'HeartbeatSecondsPath'];

/**
 * The rules both runners rely on (DESIGN.md): JSONPath only, explicit timeouts the local interpreter
 * can honour, every Task mapped locally, every transition to an existing state. Returns the problems.
 */
export function checkDefinition(
  definition: AslDefinition,
  canRun: (resource: TaskResource) => boolean,
): string[] {
  const problems: string[] = [];
  const names = new Set(Object.keys(definition.States));
  if (definition.QueryLanguage && definition.QueryLanguage !== 'JSONPath') {
    problems.push(`QueryLanguage ${definition.QueryLanguage}: only JSONPath is supported`);
  }
  if (!names.has(definition.StartAt)) problems.push(`StartAt ${definition.StartAt} is not a state`);
  const target = (from: string, to: string | undefined) => {
    if (to !== undefined && !names.has(to)) problems.push(`${from} goes to ${to}, which is not a state`);
  };
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.QueryLanguage !== undefined && state.QueryLanguage !== 'JSONPath') {
      problems.push(`${name} uses QueryLanguage ${String(state.QueryLanguage)}: only JSONPath is supported`);
    }
    for (const field of FORBIDDEN_FIELDS) {
      if (field in state) problems.push(`${name} uses ${field}, which the local runner does not support`);
    }
    target(name, state.Next);
    target(name, state.Default);
    for (const choice of state.Choices ?? []) target(name, choice.Next);
    for (const catcher of state.Catch ?? []) target(name, catcher.Next);
    for (const retrier of state.Retry ?? []) {
      for (const error of retrier.ErrorEquals) {
        if (!Object.hasOwn(RETRYABLE_ERRORS, error)) {
          problems.push(
            `${name} retries ${error}, which cannot succeed on retry (retryable: ${Object.keys(RETRYABLE_ERRORS).join(', ')})`,
          );
        }
      }
    }
    if (state.Type !== 'Task') continue;
    if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      problems.push(`${name} has no TimeoutSeconds (the local default of 60 s would apply)`);
    }
    if (
      state.TimeoutSeconds !== undefined &&
      !(state.TimeoutSeconds >= 1 && state.TimeoutSeconds <= MAX_TIMEOUT_SECONDS)
    ) {
      problems.push(`${name} has TimeoutSeconds ${state.TimeoutSeconds}: use 1..${MAX_TIMEOUT_SECONDS}`);
    }
    const resource = state.Resource === undefined ? undefined : parseResource(state.Resource);
    if (!resource)
      problems.push(`${name} has resource ${state.Resource}, which is not an optimized integration ARN`);
    else if (!canRun(resource)) {
      problems.push(
        `${name} uses ${resource.service}:${resource.action} (${resource.pattern}), which the local runtime cannot run`,
      );
    }
  }
  return problems;
}

/**
 * The longest approval wait that can still end as `Rejected: timeout`: the execution's TimeoutSeconds
 * less what the states before Approval may take (each Task's TimeoutSeconds, on the slowest path). A
 * longer wait would let the execution itself time out first.
 */
export function longestApprovalTimeout(
  definition: AslDefinition,
  approvalState: string = STATES.Approval,
): number {
  const total = definition.TimeoutSeconds ?? MAX_TIMEOUT_SECONDS;
  const slowest = (name: string, seen: ReadonlySet<string>): number | undefined => {
    if (name === approvalState) return 0;
    const state = definition.States[name];
    if (!state || seen.has(name)) return undefined;
    const next = [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next)].filter(
      (n): n is string => n !== undefined,
    );
    const after = next
      .map((n) => slowest(n, new Set([...seen, name])))
      .filter((t): t is number => t !== undefined);
    if (after.length === 0) return undefined;
    return (state.Type === 'Task' ? (state.TimeoutSeconds ?? 60) : 0) + Math.max(...after);
  };
  return Math.min(MAX_TIMEOUT_SECONDS, total - (slowest(definition.StartAt, new Set()) ?? 0) - 1);
}
