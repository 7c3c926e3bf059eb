/**
 * The pipeline stack's outputs, by name: the CDK app writes them and the CLI reads them
 * (CloudFormation DescribeStacks), so the names are a contract.
 */
export const PIPELINE_OUTPUTS = [
  'StateMachineArn',
  'StoreUri',
  'InferenceFunctionName',
  'InferenceUrl',
  'ApprovalLinksUrl',
  'ApprovalTopicArn',
  'LogGroupNames',
] as const;

/** The outputs `slipway verify --aws` (and `start --aws`, for the trainer image) reads besides StoreUri. */
export const VERIFY_OUTPUTS = [
  'VerifySageMakerRoleArn',
  'VerifyTrainingImageUri',
  'VerifyInstanceType',
  'VerifyJobNamePrefix',
  'VerifyPolicyArn',
] as const;

/** Every output the CLI reads. */
export const STACK_OUTPUTS = [...PIPELINE_OUTPUTS, ...VERIFY_OUTPUTS] as const;

export type StackOutputName = (typeof STACK_OUTPUTS)[number];
