import { ModelSourceError } from './errors.js';

/**
 * Where the served model comes from. `current` is polled, so it must be cheap (one small read);
 * `materialize` may download, and returns a local folder holding model.onnx and manifest.json.
 */
export interface ModelSource {
  /** For messages, e.g. `alias production of sentiment in file:///srv/store`. */
  readonly description: string;
  /** Whether the key can change while serving (false for a plain folder: nothing to watch). */
  readonly watchable: boolean;
  /** A key naming what should be served now (e.g. the alias's version); it changes when the model should. */
  current(): Promise<string>;
  /** Puts the files for `key` in a local folder, verified, and returns its path. */
  materialize(key: string): Promise<string>;
}

/** A plain model folder, served as is. @example folderSource('/opt/model') */
export function folderSource(dir: string): ModelSource {
  return {
    description: `folder ${dir}`,
    watchable: false,
    current: async () => dir,
    materialize: async () => dir,
  };
}

/** The slice of `@slipway/model-store` a store alias needs. */
export interface AliasStore {
  getAlias(name: string, alias: string): Promise<{ readonly version: number }>;
  materialize(name: string, version: number, dir: string): Promise<unknown>;
}

export interface StoreAliasSourceOptions {
  readonly store: AliasStore;
  /** Model name in the store. */
  readonly name: string;
  readonly alias: string;
  /** Local folder versions are materialized under (one subfolder per version). */
  readonly cacheDir: string;
  /** For messages, e.g. the store URI. */
  readonly storeDescription: string;
}

/**
 * A moving alias in the model store: `current` reads the alias record, `materialize` downloads and
 * verifies that version. @example storeAliasSource({ store, name: 'sentiment', alias: 'production', cacheDir, storeDescription: uri })
 */
export function storeAliasSource(options: StoreAliasSourceOptions): ModelSource {
  const { store, name, alias, cacheDir } = options;
  const description = `alias ${alias} of ${name} in ${options.storeDescription}`;
  return {
    description,
    watchable: true,
    async current() {
      try {
        const record = await store.getAlias(name, alias);
        return String(record.version);
      } catch (error) {
        throw new ModelSourceError(
          `cannot read ${description}: ${messageOf(error)}; check the store URI, model name and alias (slipway models list)`,
          { cause: error },
        );
      }
    },
    async materialize(key) {
      const version = Number(key);
      const dir = `${cacheDir}/${name}/${version}`;
      try {
        await store.materialize(name, version, dir);
        return dir;
      } catch (error) {
        throw new ModelSourceError(
          `cannot fetch ${name} v${version} from ${options.storeDescription}: ${messageOf(error)}`,
          {
            cause: error,
          },
        );
      }
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
