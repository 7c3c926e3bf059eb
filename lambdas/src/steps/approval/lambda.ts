// The Approval function's entry point: dependencies are built once per container, at init.
import { openStore } from '@slipway/model-store';
import { readStoreStepConfig } from '../config.js';
import { type ApprovalNotice, createApprovalHandler } from './index.js';

const { storeUri } = readStoreStepConfig(process.env);

// Until an SNS notifier exists, the request goes to the function's log (it never holds the task token).
const logNotice = (notice: ApprovalNotice) => {
  process.stdout.write(`${JSON.stringify({ level: 'INFO', message: 'approval requested', ...notice })}\n`);
};

/** Records and announces an approval request (event: the Approval state's Payload). */
export const handler = createApprovalHandler({ store: await openStore(storeUri), notify: logNotice });
