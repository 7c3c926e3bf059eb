// The Approval function's entry point: dependencies are built once per container, at init.
import { openStore } from '@slipway/model-store';
import { type ApprovalNotice, createApprovalHandler } from '@slipway/steps';
import { FUNCTION_CONFIG } from '../../function-config.js';
import { createAwsApprovalFunction } from '../../wiring.js';

const { storeUri, notify } = FUNCTION_CONFIG.approval(process.env);
const store = await openStore(storeUri);

// Without an SNS topic the request goes to the function's log (it never holds the task token).
const logNotice = (notice: ApprovalNotice) => {
  process.stdout.write(`${JSON.stringify({ level: 'INFO', message: 'approval requested', ...notice })}\n`);
};

/**
 * Records and announces an approval request (event: the Approval state's Payload). On AWS it keeps the
 * task token for the links function and the CLI and mails signed approve/reject links through SNS.
 */
export const handler =
  notify === null
    ? createApprovalHandler({ store, notify: logNotice })
    : await createAwsApprovalFunction(notify, store);
