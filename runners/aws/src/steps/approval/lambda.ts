// The Approval function's entry point: dependencies are built once per container, at init.
import { openStore } from '@slipway/model-store';
import { type ApprovalNotice, createApprovalHandler } from '@slipway/steps';
import { FUNCTION_CONFIG } from '../../function-config.js';
import { stepLogger, withStepLog } from '../../step-log.js';
import { createAwsApprovalFunction } from '../../wiring.js';

const { storeUri, notify } = FUNCTION_CONFIG.approval(process.env);
const store = await openStore(storeUri);
const logger = stepLogger('approval');

// Without an SNS topic the request goes to the function's log (it never holds the task token).
const logNotice = (notice: ApprovalNotice) => logger.info('approval requested', { ...notice });

/**
 * Records and announces an approval request (event: the Approval state's Payload). On AWS it keeps the
 * task token for the links function and the CLI and mails signed approve/reject links through SNS.
 */
export const handler = withStepLog(
  logger,
  notify === null
    ? createApprovalHandler({ store, notify: logNotice })
    : await createAwsApprovalFunction(notify, store),
);
