// The TrainingTaskDefinition function's entry point: dependencies are built once per container, at init.
import { ECSClient } from '@aws-sdk/client-ecs';
import { createAwsClient } from '@slipway/contracts';
import { FUNCTION_CONFIG } from '../../function-config.js';
import { stepLogger, withStepLog } from '../../step-log.js';
import { createTrainingTaskHandler } from '../../training-task.js';

const config = FUNCTION_CONFIG.trainingTask(process.env);

/** Names the task definition revision TrainOnFargate runs (event: the state data). */
export const handler = withStepLog(
  stepLogger('training-task'),
  createTrainingTaskHandler({ ecs: createAwsClient(ECSClient, {}), config }),
);
