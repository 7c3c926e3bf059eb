// An in-memory Lambda control plane for one container-image function, held to what the Lambda API
// reference documents, refusals included. It answers the SDK v3 commands the image deployer sends
// (`send(command)`, dispatched on the command's class name), so the deployer runs against it unchanged.
import { createHash } from 'node:crypto';
import { awsError } from './aws-fake-client.js';

/** A published version (or `$LATEST`) of the function. */
export interface LambdaVersion {
  readonly version: string;
  readonly imageUri: string;
  readonly codeSha256: string;
  readonly description: string;
}

/** An alias: its version and the weights of the (at most one) other version. */
export interface LambdaAlias {
  readonly name: string;
  readonly functionVersion: string;
  readonly weights: Readonly<Record<string, number>>;
  readonly description: string;
}

type Input = Record<string, unknown>;

/**
 * The function as the inference stack deploys it: `$LATEST` on the base image, version 1 published from
 * it, and `live` on version 1 (or on `$LATEST` when `aliasOn` says so, as the stack once did).
 */
export class LambdaDouble {
  readonly functionName: string;
  private latest: { imageUri: string; codeSha256: string; updating: number };
  private readonly versions = new Map<string, LambdaVersion>();
  private readonly aliases = new Map<string, LambdaAlias>();
  /** Every command received: its name and input. */
  readonly calls: { readonly command: string; readonly input: Input }[] = [];

  constructor(options: { functionName: string; baseImageUri: string; aliasOn?: '1' | '$LATEST' }) {
    this.functionName = options.functionName;
    this.latest = { imageUri: options.baseImageUri, codeSha256: sha(options.baseImageUri), updating: 0 };
    this.versions.set('1', {
      version: '1',
      imageUri: options.baseImageUri,
      codeSha256: this.latest.codeSha256,
      description: 'slipway base image (no model yet)',
    });
    this.aliases.set('live', {
      name: 'live',
      functionVersion: options.aliasOn ?? '1',
      weights: {},
      description: '',
    });
  }

  /** The alias as it stands. */
  alias(name = 'live'): LambdaAlias | undefined {
    return this.aliases.get(name);
  }

  /** A published version (or `$LATEST`). */
  version(qualifier: string): LambdaVersion | undefined {
    if (qualifier === '$LATEST') {
      return {
        version: '$LATEST',
        imageUri: this.latest.imageUri,
        codeSha256: this.latest.codeSha256,
        description: '',
      };
    }
    return this.versions.get(qualifier);
  }

  /** The image behind each share of the alias's traffic. */
  routes(name = 'live'): { version: string; imageUri: string; weight: number }[] {
    const alias = this.aliases.get(name);
    if (!alias) return [];
    const extra = Object.entries(alias.weights);
    const rest = 1 - extra.reduce((sum, [, w]) => sum + w, 0);
    return [[alias.functionVersion, rest] as const, ...extra].map(([version, weight]) => ({
      version,
      imageUri: this.version(version)?.imageUri ?? '',
      weight,
    }));
  }

  private invoker: ((version: LambdaVersion, event: unknown) => Promise<unknown>) | undefined;

  /** What a version does when invoked (it runs the version's image); without it Invoke is refused. */
  onInvoke(invoker: (version: LambdaVersion, event: unknown) => Promise<unknown>): void {
    this.invoker = invoker;
  }

  // https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: StatusCode 200 for a synchronous
  // invocation; a function that fails sets FunctionError ("Unhandled") and returns the error as Payload.
  private async invoke(input: Input) {
    const qualifier = String(input.Qualifier ?? '$LATEST');
    const version = this.version(qualifier);
    if (!version)
      throw awsError('ResourceNotFoundException', `Function not found: ${this.functionName}:${qualifier}`);
    if (!this.invoker) throw new Error('the Lambda double was given no invoker');
    const event = JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) as unknown;
    try {
      const result = await this.invoker(version, event);
      return {
        StatusCode: 200,
        ExecutedVersion: qualifier,
        Payload: new TextEncoder().encode(JSON.stringify(result)),
      };
    } catch (error) {
      const payload = { errorType: (error as Error).name, errorMessage: (error as Error).message };
      return {
        StatusCode: 200,
        ExecutedVersion: qualifier,
        FunctionError: 'Unhandled',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      };
    }
  }

  /** A client whose `send` is this double. */
  client<T>(): T {
    return { send: (command: { input: unknown }) => this.send(command) } as unknown as T;
  }

  private async send(command: { input: unknown }): Promise<unknown> {
    const name = command.constructor.name.replace(/Command$/, '');
    const input = structuredClone(command.input) as Input;
    this.calls.push({ command: name, input });
    if (input.FunctionName !== this.functionName) {
      throw awsError('ResourceNotFoundException', `Function not found: ${String(input.FunctionName)}`);
    }
    switch (name) {
      case 'GetFunctionConfiguration':
        return this.getConfiguration(input);
      case 'UpdateFunctionCode':
        return this.updateCode(input);
      case 'PublishVersion':
        return this.publish(input);
      case 'GetAlias':
        return this.getAlias(input);
      case 'CreateAlias':
        return this.putAlias(input, 'create');
      case 'UpdateAlias':
        return this.putAlias(input, 'update');
      case 'Invoke':
        return this.invoke(input);
      default:
        throw new Error(`the Lambda double does not answer ${name}`);
    }
  }

  // https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html: an update shows as
  // LastUpdateStatus InProgress until it settles (here: for one read).
  private getConfiguration(input: Input) {
    const qualifier = input.Qualifier as string | undefined;
    if (qualifier !== undefined && qualifier !== '$LATEST') {
      const found = this.versions.get(qualifier);
      if (!found)
        throw awsError('ResourceNotFoundException', `Function not found: ${this.functionName}:${qualifier}`);
      return {
        Version: qualifier,
        State: 'Active',
        LastUpdateStatus: 'Successful',
        CodeSha256: found.codeSha256,
      };
    }
    const status = this.latest.updating > 0 ? 'InProgress' : 'Successful';
    if (this.latest.updating > 0) this.latest.updating--;
    return {
      Version: '$LATEST',
      State: 'Active',
      LastUpdateStatus: status,
      CodeSha256: this.latest.codeSha256,
    };
  }

  // https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html: changes $LATEST only;
  // refused with ResourceConflictException while an update is in progress.
  private updateCode(input: Input) {
    if (this.latest.updating > 0) {
      throw awsError('ResourceConflictException', 'An update is in progress for resource: the function');
    }
    const imageUri = String(input.ImageUri ?? '');
    if (!/@sha256:[0-9a-f]{64}$|:[\w.-]+$/.test(imageUri)) {
      throw awsError('InvalidParameterValueException', `Source image ${imageUri} is not valid.`);
    }
    this.latest = { imageUri, codeSha256: sha(imageUri), updating: 1 };
    return { CodeSha256: this.latest.codeSha256, LastUpdateStatus: 'InProgress' };
  }

  // https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html: refused while an update is in
  // progress or when CodeSha256 is not $LATEST's; unchanged code publishes nothing new and returns the
  // latest version.
  private publish(input: Input) {
    if (this.latest.updating > 0) {
      throw awsError('ResourceConflictException', 'An update is in progress for resource: the function');
    }
    if (input.CodeSha256 !== undefined && input.CodeSha256 !== this.latest.codeSha256) {
      throw awsError('PreconditionFailedException', 'CodeSha256 does not match the code of $LATEST');
    }
    const numbers = [...this.versions.keys()].map(Number);
    const last = this.versions.get(String(Math.max(...numbers)));
    if (last && last.codeSha256 === this.latest.codeSha256) {
      return { Version: last.version, CodeSha256: last.codeSha256, Description: last.description };
    }
    const version = String(Math.max(...numbers) + 1);
    const published: LambdaVersion = {
      version,
      imageUri: this.latest.imageUri,
      codeSha256: this.latest.codeSha256,
      description: String(input.Description ?? ''),
    };
    this.versions.set(version, published);
    return { Version: version, CodeSha256: published.codeSha256, Description: published.description };
  }

  // https://docs.aws.amazon.com/lambda/latest/api/API_GetAlias.html
  private getAlias(input: Input) {
    const alias = this.aliases.get(String(input.Name));
    if (!alias) throw awsError('ResourceNotFoundException', `Alias not found: ${String(input.Name)}`);
    return {
      Name: alias.name,
      FunctionVersion: alias.functionVersion,
      RoutingConfig: { AdditionalVersionWeights: { ...alias.weights } },
      Description: alias.description,
    };
  }

  private putAlias(input: Input, mode: 'create' | 'update') {
    const name = String(input.Name);
    const existing = this.aliases.get(name);
    if (mode === 'create' && existing)
      throw awsError('ResourceConflictException', `Alias already exists: ${name}`);
    if (mode === 'update' && !existing)
      throw awsError('ResourceNotFoundException', `Alias not found: ${name}`);
    const functionVersion = String(input.FunctionVersion ?? existing?.functionVersion);
    if (functionVersion !== '$LATEST' && !this.versions.has(functionVersion)) {
      throw awsError(
        'ResourceNotFoundException',
        `Function not found: ${this.functionName}:${functionVersion}`,
      );
    }
    const routing = input.RoutingConfig as { AdditionalVersionWeights?: Record<string, number> } | undefined;
    const weights =
      routing?.AdditionalVersionWeights ?? (routing === undefined ? (existing?.weights ?? {}) : {});
    const entries = Object.entries(weights);
    if (entries.length > 0) {
      // https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html: routing works between
      // two published versions only; an alias on $LATEST cannot route a share elsewhere.
      if (functionVersion === '$LATEST') {
        throw awsError(
          'InvalidParameterValueException',
          '$LATEST is not supported for an alias pointing to more than 1 version. Both versions must be published.',
        );
      }
      // https://docs.aws.amazon.com/lambda/latest/api/API_AliasRoutingConfiguration.html: one extra
      // version, a published number, weight 0.0 to 1.0.
      if (entries.length > 1) {
        throw awsError(
          'InvalidParameterValueException',
          'An alias can route to at most one additional version.',
        );
      }
      const [[extra, weight]] = entries as [[string, number]];
      if (!/^[0-9]+$/.test(extra) || !this.versions.has(extra)) {
        throw awsError(
          'InvalidParameterValueException',
          `Additional version ${extra} must be a published version.`,
        );
      }
      if (extra === functionVersion) {
        throw awsError(
          'InvalidParameterValueException',
          'The additional version must differ from the alias version.',
        );
      }
      if (!(weight >= 0 && weight <= 1)) {
        throw awsError('InvalidParameterValueException', `Weight ${weight} is not between 0.0 and 1.0.`);
      }
    }
    const alias: LambdaAlias = {
      name,
      functionVersion,
      weights: { ...weights },
      description: String(input.Description ?? existing?.description ?? ''),
    };
    this.aliases.set(name, alias);
    return {
      Name: name,
      FunctionVersion: functionVersion,
      RoutingConfig: { AdditionalVersionWeights: { ...alias.weights } },
      Description: alias.description,
    };
  }
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}
