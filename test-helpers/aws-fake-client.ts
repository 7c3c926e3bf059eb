// A hand-written stand-in for AWS SDK v3 clients, for the AWS adapters' own unit tests only: `send`
// dispatches on the command's class, records every call, and answers from per-command handlers.

// biome-ignore lint/suspicious/noExplicitAny: SDK command classes have differing constructor signatures.
type CommandClass = abstract new (...args: any[]) => { readonly input: unknown };
type Reply = unknown | Error | ((input: never, n: number) => unknown);

/** An error as the SDK throws it: `name` is the service's error code. */
export function awsError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A recorded call: the command's class name and its input. */
export interface FakeCall {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

/** Answers SDK commands from scripted replies; unscripted commands fail the test loudly. */
export class FakeAws {
  readonly calls: FakeCall[] = [];
  private readonly replies = new Map<CommandClass, { queue: Reply[]; last: Reply | undefined; n: number }>();

  /**
   * Scripts the replies to a command, in order; the last one repeats. A reply is a value (the output),
   * an Error (thrown), or a function of the input and the call number (from 1).
   */
  on<C extends CommandClass>(command: C, ...replies: Reply[]): this {
    this.replies.set(command, { queue: [...replies], last: replies.at(-1), n: 0 });
    return this;
  }

  /** The inputs of one command, in call order. */
  inputs(command: CommandClass): Record<string, unknown>[] {
    return this.calls.filter((c) => c.command === command.name).map((c) => c.input);
  }

  /** The command names in call order. */
  names(): string[] {
    return this.calls.map((c) => c.command.replace(/Command$/, ''));
  }

  /** A client whose `send` is this fake, typed as the adapter expects. */
  client<T>(): T {
    return { send: (command: { input: unknown }) => this.send(command) } as unknown as T;
  }

  private async send(command: { input: unknown }): Promise<unknown> {
    const type = command.constructor as CommandClass;
    const input = structuredClone(command.input) as Record<string, unknown>;
    this.calls.push({ command: type.name, input });
    const script = this.replies.get(type);
    if (script === undefined) throw new Error(`unexpected ${type.name} ${JSON.stringify(input)}`);
    script.n++;
    const reply = script.queue.length > 0 ? script.queue.shift() : script.last;
    if (reply instanceof Error) throw reply;
    if (typeof reply === 'function')
      return (reply as (input: unknown, n: number) => unknown)(input, script.n);
    return structuredClone(reply);
  }
}
