/**
 * Optional peer dependencies: a package a part imports only on one path (the AWS SDK's S3 client for
 * an `s3://` store or the training container's Fargate mode), declared in `peerDependencies` with
 * `peerDependenciesMeta.optional`, so a program that never takes that path need not install it. The
 * program that does take it declares the package itself; when it did not, the import fails with a
 * {@link MissingDependencyError} that says what to install, instead of Node's bare "Cannot find package".
 */

/** What needed a package that is not installed, and how to install it. */
export interface OptionalDependency {
  /** The package, as imported: `@aws-sdk/client-s3`. */
  readonly name: string;
  /** The package whose optional peer it is: `@slipway/model-store`. */
  readonly peerOf: string;
  /** What needed it, for the message: `opening s3://models/slipway`. */
  readonly neededFor: string;
}

/**
 * An optional peer dependency is not installed, and the path taken needs it. The message names the
 * package and the command that installs it; nothing was done.
 */
export class MissingDependencyError extends Error {
  override readonly name = 'MissingDependencyError';
  /** Stable across releases, for programs (contracts' error table). */
  readonly code = 'SLIPWAY_MISSING_DEPENDENCY';
  /** The package that is missing. */
  readonly dependency: string;

  constructor(dependency: OptionalDependency, options?: { readonly cause?: unknown }) {
    super(
      `${dependency.neededFor} needs the package ${dependency.name}, which is not installed: ` +
        `run \`npm install ${dependency.name}\` in the project that uses ${dependency.peerOf} ` +
        `(an optional peer dependency of ${dependency.peerOf}: only this path needs it)`,
      options,
    );
    this.dependency = dependency.name;
  }
}

/**
 * Runs `load` (a dynamic `import()` written in the caller's module, so the package resolves from the
 * caller's folder) and turns "that package is not installed" into a {@link MissingDependencyError}.
 * Any other failure, such as a missing package the dependency itself needs, is rethrown as it is.
 *
 * @example
 * const { S3Client } = await importOptional(() => import('@aws-sdk/client-s3'), {
 *   name: '@aws-sdk/client-s3', peerOf: '@slipway/model-store', neededFor: `opening ${uri}`,
 * });
 */
export async function importOptional<T>(load: () => Promise<T>, dependency: OptionalDependency): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissing(error, dependency.name)) throw new MissingDependencyError(dependency, { cause: error });
    throw error;
  }
}

/**
 * Node's resolution failure for `name` itself: ESM says `Cannot find package '<name>' imported from…`
 * (ERR_MODULE_NOT_FOUND), CommonJS `Cannot find module '<name>'` (MODULE_NOT_FOUND).
 */
function isMissing(error: unknown, name: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return typeof message === 'string' && (message.includes(`'${name}'`) || message.includes(`"${name}"`));
}
