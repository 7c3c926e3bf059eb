/**
 * One step of an execution's history as both runners tell it: the local runtime's journal writes these,
 * and runners/aws reads Step Functions' history into the same shape, so the console and
 * `slipway executions history` show either alike.
 */
export interface HistoryEvent {
  readonly seq: number;
  readonly type:
    | 'ExecutionStarted'
    | 'ExecutionResumed'
    | 'ExecutionSucceeded'
    | 'ExecutionFailed'
    | 'ExecutionAborted'
    | 'StateEntered'
    | 'StateExited'
    | 'StateFailed'
    | 'StateRetried'
    | 'StateCaught'
    | 'TaskStarted'
    | 'TaskWaiting'
    | 'TaskDecided'
    | 'Log';
  readonly timestamp: string;
  readonly state?: string;
  readonly stateType?: string;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly message?: string;
}
