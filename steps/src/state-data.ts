import { STATES, type StateName } from '@slipway/contracts';
import { z } from 'zod';
import { type CompactEvaluation, compactEvaluationSchema } from './evaluate/report.js';

/**
 * What the Task states add to the execution's data, each under its `ResultPath`, read back from any
 * state's input or output (history events, a journal, DescribeExecution's output). The one place that
 * knows those keys and shapes: the CLI, the console and the AWS commands read them through here.
 *
 * @example const { registration } = readStateData(approvalEntered.input); // { version: 4, created: true } | null
 */
export interface StateData {
  /** TrainOnSageMaker / TrainOnFargate: the training job (or Fargate task) that ran. */
  readonly training: { readonly jobName: string } | null;
  /** Evaluate: the verdict and headline figures (the full report is in the store). */
  readonly evaluation: CompactEvaluation | null;
  /** Register: the version registered for this execution. */
  readonly registration: { readonly version: number; readonly created: boolean } | null;
  /** Approval: who approved, and what they said. */
  readonly approval: { readonly approvedBy: string; readonly comment: string } | null;
  /**
   * Promote: the version production points at now, the one it pointed at before, and the endpoint
   * serving it (null when the deployer has none).
   */
  readonly promotion: {
    readonly version: number;
    readonly previous: number | null;
    readonly endpoint: string | null;
  } | null;
  /** SmokeTest: whether the promoted endpoint answered as the model should. */
  readonly smokeTest: { readonly passed: boolean; readonly failures: readonly unknown[] } | null;
}

const schemas = {
  training: z.object({ jobName: z.string() }),
  evaluation: z.object({ report: compactEvaluationSchema }).transform((e) => e.report as CompactEvaluation),
  registration: z.object({ version: z.number(), created: z.boolean() }),
  approval: z.object({ approvedBy: z.string(), comment: z.string().default('') }),
  promotion: z.object({
    version: z.number(),
    previous: z.number().nullable(),
    endpoint: z.string().nullable().default(null),
  }),
  smokeTest: z.object({ passed: z.boolean(), failures: z.array(z.unknown()) }),
} satisfies { [K in keyof StateData]: z.ZodType<StateData[K] & {}> };

/** Which states write each key (their `ResultPath` is `$.<key>`): checked against the definition. */
export const STATE_DATA_WRITERS: { readonly [K in keyof StateData]: readonly StateName[] } = {
  training: [STATES.TrainOnSageMaker, STATES.TrainOnFargate, STATES.LocateFargateModel],
  evaluation: [STATES.Evaluate],
  registration: [STATES.Register],
  approval: [STATES.Approval],
  promotion: [STATES.Promote],
  smokeTest: [STATES.SmokeTest],
};

/** Reads what the states wrote into `data`; each part is null when absent or not of its shape. */
export function readStateData(data: unknown): StateData {
  const o = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const read = <K extends keyof StateData>(key: K): StateData[K] => {
    const parsed = schemas[key].safeParse(Object.hasOwn(o, key) ? o[key] : undefined);
    return (parsed.success ? parsed.data : null) as StateData[K];
  };
  return {
    training: read('training'),
    evaluation: read('evaluation'),
    registration: read('registration'),
    approval: read('approval'),
    promotion: read('promotion'),
    smokeTest: read('smokeTest'),
  };
}
