// Step Functions' StartExecution as its API reference documents it, for FakeAws: the request's
// constraints and refusals, and idempotency by name.
// https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
// - stateMachineArn: 1-256 characters, the ARN of an existing state machine (InvalidArn,
//   StateMachineDoesNotExist).
// - name: 1-80 characters; no whitespace, brackets `< > { } [ ]`, wildcards `? *`, special characters
//   `" # % \ ^ | ~ \` $ & , ; : /` or control characters U+0000-001F, U+007F-009F (InvalidName).
// - input: JSON text, at most 262,144 bytes in UTF-8 (InvalidExecutionInput); "{}" when omitted.
// - The same name again: while the first execution is open, the same input succeeds with the same
//   answer and another input is refused with ExecutionAlreadyExists; once it is closed, any input is.
// - Answer: executionArn (arn:…:execution:<state machine name>:<name>) and startDate.
import { awsError } from './aws-fake-client.js';

const FORBIDDEN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/u;
/** U+0000-001F and U+007F-009F. */
const isControl = (name: string) =>
  [...name].some((c) => {
    const code = c.codePointAt(0) ?? 0;
    return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
  });
const MAX_INPUT_BYTES = 262_144;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

interface Started {
  readonly input: string;
  readonly executionArn: string;
  readonly startDate: Date;
  open: boolean;
}

/** One state machine's executions, started through {@link StartExecutionDouble.reply}. */
export class StartExecutionDouble {
  private readonly executions = new Map<string, Started>();

  constructor(
    readonly stateMachineArn: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Every execution started, by name, with its input parsed. */
  started(): { name: string; executionArn: string; input: Record<string, unknown> }[] {
    return [...this.executions.entries()].map(([name, e]) => ({
      name,
      executionArn: e.executionArn,
      input: JSON.parse(e.input) as Record<string, unknown>,
    }));
  }

  /** Ends an execution: its name can then never be started again. */
  close(name: string): void {
    const execution = this.executions.get(name);
    if (execution) execution.open = false;
  }

  /** FakeAws's reply to StartExecutionCommand. */
  readonly reply = (request: { stateMachineArn?: string; name?: string; input?: string }) => {
    const arn = request.stateMachineArn ?? '';
    if (arn.length < 1 || arn.length > 256 || !STATE_MACHINE_ARN.test(arn)) {
      throw awsError('InvalidArn', `Invalid Arn: '${arn}'`);
    }
    if (arn !== this.stateMachineArn) {
      throw awsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    }
    const name = request.name ?? crypto.randomUUID();
    if (name.length < 1 || name.length > 80 || FORBIDDEN_NAME.test(name) || isControl(name)) {
      throw awsError('InvalidName', `Invalid Name: '${name}'`);
    }
    const input = request.input ?? '{}';
    if (new TextEncoder().encode(input).byteLength > MAX_INPUT_BYTES) {
      throw awsError(
        'InvalidExecutionInput',
        'Invalid Execution Input: the input is larger than 262144 bytes',
      );
    }
    try {
      JSON.parse(input);
    } catch (error) {
      throw awsError('InvalidExecutionInput', `Invalid Execution Input: ${(error as Error).message}`);
    }
    const existing = this.executions.get(name);
    if (existing !== undefined) {
      if (existing.open && existing.input === input) {
        return { executionArn: existing.executionArn, startDate: existing.startDate };
      }
      throw awsError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    const executionArn = `${arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const started: Started = { input, executionArn, startDate: this.now(), open: true };
    this.executions.set(name, started);
    return { executionArn, startDate: started.startDate };
  };
}
