import { Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NagSuppressions, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** One accepted cdk-nag finding: the rule, why it does not apply, and (optionally) which findings. */
export interface Suppression {
  /** The rule id, e.g. `AwsSolutions-IAM5`. */
  readonly id: string;
  /** Why the finding is accepted; reviewers read this. */
  readonly reason: string;
  /** For rules that list findings (IAM4, IAM5): exactly which ones, as strings or `{ regex }`. */
  readonly appliesTo?: readonly (string | { readonly regex: string })[];
}

/** Suppresses findings on `construct` and everything under it (its default policy, its log group). */
export function suppress(construct: IConstruct, suppressions: readonly Suppression[]): void {
  NagSuppressions.addResourceSuppressions(
    construct,
    suppressions.map((s) => ({
      id: s.id,
      reason: s.reason,
      ...(s.appliesTo ? { appliesTo: [...s.appliesTo] } : {}),
    })),
    true,
  );
}

/** The reason shared by every X-Ray statement: AWS defines no resource for these actions. */
const XRAY_REASON =
  'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords accept no resource but "*" (AWS requirement).';

/** `Resource::*` findings of the X-Ray statement CDK adds for active tracing. */
export const XRAY_SUPPRESSION: Suppression = {
  id: 'AwsSolutions-IAM5',
  reason: XRAY_REASON,
  appliesTo: ['Resource::*'],
};

/** Runs cdk-nag's AWS Solutions and Serverless packs over everything in `scope` at synth time. */
export function applyNagChecks(scope: IConstruct): void {
  Aspects.of(scope).add(new AwsSolutionsChecks({ verbose: true }));
  Aspects.of(scope).add(new ServerlessChecks({ verbose: true }));
}
