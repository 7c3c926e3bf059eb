import { layout, recordId } from '@slipway/contracts';
import { readParsed, type StoreContext } from './context.js';
import { ConflictError, CorruptManifestError, NotFoundError, RejectedVersionError } from './errors.js';
import { encodeJson, parseRecord } from './manifest.js';
import { assertAlias, assertName, assertVersion } from './names.js';
import type { RejectionRecord, Rejections } from './rejections.js';
import { mapLimit, sleep } from './util.js';
import type { Versions } from './versions.js';

/** One move of an alias. */
export interface AliasMove {
  /** The version the alias moved to; null when the move cleared it. */
  version: number | null;
  previous: number | null;
  updatedAt: string;
  updatedBy: string;
  reason: string;
  /** The pipeline execution that made the move (null for a person's or an older move). */
  executionId?: string | null;
  action: 'set' | 'rollback' | 'clear';
  /** Set when the move put the alias on a rejected version with `force`: that rejection, as it stood. */
  forcedOverRejection?: RejectionRecord;
}

/** An alias as stored at `models/<model>/aliases/<alias>.json`, with its full history (oldest first). */
export interface AliasRecord {
  model: string;
  alias: string;
  version: number;
  previous: number | null;
  updatedAt: string;
  updatedBy: string;
  reason: string;
  /**
   * The pipeline execution that made the current move, null when none did (or the record predates the
   * field): a retried step decides from it whether its move already happened, never from `reason`.
   */
  executionId: string | null;
  history: AliasMove[];
}

/** Options of an alias move. `expected` is the version the caller believes the alias is at (null: unset). */
export interface AliasMoveOptions {
  expected?: number | null;
  actor?: string;
  reason?: string;
  /** Allows `setAlias` onto a rejected version; needs a `reason`, and the move records the rejection. */
  force?: boolean;
  /** The pipeline execution making the move, recorded on the alias (see {@link AliasRecord.executionId}). */
  executionId?: string;
}

/**
 * Aliases (`production`, `candidate`, …) at `models/<model>/aliases/<alias>.json`: moved by compare-and-swap,
 * every move kept in the record's history, only ever onto a version that exists.
 */
export class Aliases {
  constructor(
    private readonly ctx: StoreContext,
    private readonly versions: Versions,
    private readonly rejections: Rejections,
  ) {}

  /** Reads an alias; the version it names always exists. */
  async get(name: string, alias: string): Promise<AliasRecord> {
    assertName(name);
    assertAlias(alias);
    const found = await this.readAlias(name, alias);
    if (!found) {
      if (!(await this.versions.modelExists(name))) throw await this.versions.missingModel(name);
      const others = await this.list(name).catch(() => []);
      throw new NotFoundError(
        `model "${name}" has no alias "${alias}" in ${this.ctx.backend.uri}` +
          (others.length > 0 ? ` (aliases: ${others.map((a) => a.alias).join(', ')})` : '') +
          `; set it with \`slipway models set-alias ${name} ${alias} <version>\``,
        'alias',
      );
    }
    return found.record;
  }

  /** Every alias of a model. */
  async list(name: string): Promise<AliasRecord[]> {
    assertName(name);
    const prefix = layout.aliases(name);
    const keys = (await this.ctx.backend.list(prefix))
      .map((o) => recordId(prefix, o.key))
      .filter((a): a is string => a !== undefined && /^[a-z][a-z0-9_-]*$/.test(a));
    const records = await mapLimit(keys, this.ctx.concurrency, (alias) => this.readAlias(name, alias));
    return records.filter((r) => r !== undefined).map((r) => r.record);
  }

  /** An alias's moves, newest first (a cleared alias keeps its history). */
  async history(name: string, alias: string): Promise<AliasMove[]> {
    assertName(name);
    assertAlias(alias);
    const { history } = await this.readAliasState(name, alias);
    if (history.length === 0) await this.get(name, alias); // throws the usual "no such alias" error
    return [...history].reverse();
  }

  /**
   * Moves an alias to an existing version by compare-and-swap. With `expected` (a version, or null for
   * "not set yet") the move fails with ConflictError unless the alias is there; without it the move
   * re-reads and retries until it lands.
   */
  async set(
    name: string,
    alias: string,
    version: number,
    options: AliasMoveOptions = {},
  ): Promise<AliasRecord> {
    assertName(name);
    assertAlias(alias);
    assertVersion(version);
    await this.versions.getManifest(name, version); // an alias never names a version that does not exist
    const rejection = await this.rejections.get(name, version);
    if (rejection && !(options.force && options.reason?.trim())) {
      const how = options.force
        ? 'say why with a reason (`--reason "..."`); it is recorded in the alias history'
        : 'if it must serve anyway, pass --force with --reason "..." (recorded in the alias history)';
      throw new RejectedVersionError(
        `version ${version} of model "${name}" was rejected by ${rejection.by || 'an unknown decider'} at ${rejection.at}` +
          `${rejection.reason ? `: ${rejection.reason}` : ''}; ${how}`,
        rejection,
      );
    }
    return this.move(name, alias, options, () => ({
      version,
      action: 'set',
      ...(rejection ? { forcedOverRejection: rejection } : {}),
    })) as Promise<AliasRecord>;
  }

  /**
   * Unsets an alias by compare-and-swap, keeping its history: reading it then fails with NotFoundError
   * until it is set again. Used when the first promotion of a model is rolled back: there is no earlier
   * version to go back to, and production must not keep naming the failed one.
   */
  async clear(name: string, alias: string, options: AliasMoveOptions = {}): Promise<void> {
    assertName(name);
    assertAlias(alias);
    await this.move(name, alias, options, () => ({ version: null, action: 'clear' }));
  }

  /**
   * Moves an alias back to the version it had before its current one was set (repeated rollbacks walk
   * further back). Compare-and-swap on the version read, like `setAlias`.
   */
  async rollback(name: string, alias: string, options: AliasMoveOptions = {}): Promise<AliasRecord> {
    assertName(name);
    assertAlias(alias);
    const rejected = new Set((await this.rejections.list(name)).keys());
    return this.move(name, alias, options, (current) => {
      const target = current ? rollbackTarget(current.history, rejected) : undefined;
      if (target === undefined) {
        throw new NotFoundError(
          `alias "${alias}" of model "${name}" has no earlier version to roll back to` +
            (current ? ` (it is at version ${current.version})` : ' (it is not set)') +
            `; move it explicitly with \`slipway models set-alias ${name} ${alias} <version>\``,
          'previous-version',
        );
      }
      return { version: target, action: 'rollback' };
    }) as Promise<AliasRecord>;
  }

  private async move(
    name: string,
    alias: string,
    options: AliasMoveOptions,
    decide: (current: AliasRecord | undefined) => {
      version: number | null;
      action: AliasMove['action'];
      forcedOverRejection?: RejectionRecord;
    },
  ): Promise<AliasRecord | undefined> {
    const key = layout.alias(name, alias);
    for (let attempt = 0; attempt < 50; attempt++) {
      const state = await this.readAliasState(name, alias);
      const current = state.record ? { record: state.record } : undefined;
      if (options.expected !== undefined && (current?.record.version ?? null) !== options.expected) {
        throw this.aliasConflict(name, alias, options.expected, current?.record);
      }
      const { version, action, forcedOverRejection } = decide(current?.record);
      if (current && action === 'set' && current.record.version === version) return current.record;
      if (!current && version === null) return undefined;
      if (action === 'rollback' && version !== null) await this.versions.getManifest(name, version);
      const move: AliasMove = {
        version,
        previous: current?.record.version ?? null,
        updatedAt: this.ctx.now().toISOString(),
        updatedBy: options.actor ?? this.ctx.actor,
        reason: options.reason ?? '',
        executionId: options.executionId ?? null,
        action,
        ...(forcedOverRejection ? { forcedOverRejection } : {}),
      };
      const stored = {
        version,
        previous: move.previous,
        updatedAt: move.updatedAt,
        updatedBy: move.updatedBy,
        reason: move.reason,
        executionId: move.executionId ?? null,
        history: [...state.history, move],
      };
      const etag = await this.ctx.backend.putIfMatch(key, encodeJson(stored), state.etag);
      if (etag !== undefined)
        return version === null ? undefined : { model: name, alias, ...stored, version };
      if (options.expected !== undefined) {
        const winner = await this.readAlias(name, alias);
        throw this.aliasConflict(name, alias, options.expected, winner?.record);
      }
      await sleep(Math.random() * 20);
    }
    throw new ConflictError(
      `alias "${alias}" of model "${name}" kept changing during 50 attempts; retry later`,
    );
  }

  private aliasConflict(
    name: string,
    alias: string,
    expected: number | null,
    current: AliasRecord | undefined,
  ): ConflictError {
    const holder = current
      ? `is at version ${current.version} (moved by ${current.updatedBy} at ${current.updatedAt}${current.reason ? `: ${current.reason}` : ''})`
      : 'is not set';
    return new ConflictError(
      `alias "${alias}" of model "${name}" ${holder}, not at the expected ${expected === null ? '(unset)' : `version ${expected}`}; ` +
        're-read the alias and retry with the version it is at as the expected one',
      current,
    );
  }

  /** A set alias, or undefined when it was never set or has been cleared. */
  private async readAlias(
    name: string,
    alias: string,
  ): Promise<{ record: AliasRecord; etag: string } | undefined> {
    const state = await this.readAliasState(name, alias);
    return state.record && state.etag !== null ? { record: state.record, etag: state.etag } : undefined;
  }

  /**
   * The alias file's state: a cleared alias keeps its file (and history) with `version: null`, so it
   * reads as unset while later moves still compare-and-swap on the file's tag.
   */
  private async readAliasState(
    name: string,
    alias: string,
  ): Promise<{ record: AliasRecord | undefined; etag: string | null; history: AliasMove[] }> {
    const key = layout.alias(name, alias);
    const read = await readParsed(this.ctx.backend, key, (found) => {
      const value = parseRecord(found.body, key);
      if ((typeof value.version !== 'number' && value.version !== null) || !Array.isArray(value.history)) {
        throw new CorruptManifestError(key, 'it lacks a "version" (number or null) or a "history" list');
      }
      return { value: value as Record<string, unknown> & { version: number | null }, found };
    });
    if (!read) return { record: undefined, etag: null, history: [] };
    const { value, found } = read;
    const history = value.history as AliasMove[];
    if (value.version === null) return { record: undefined, etag: found.etag, history };
    const record: AliasRecord = {
      model: name,
      alias,
      version: value.version,
      previous: typeof value.previous === 'number' ? value.previous : null,
      updatedAt: String(value.updatedAt ?? ''),
      updatedBy: String(value.updatedBy ?? ''),
      reason: String(value.reason ?? ''),
      executionId: typeof value.executionId === 'string' ? value.executionId : null,
      history,
    };
    return { record, etag: found.etag, history };
  }
}

/**
 * Where an alias goes on rollback: replays set (push) and rollback (pop) moves, returns the entry below
 * the top, passing over `rejected` versions (a rollback never proposes a version people rejected).
 */
export function rollbackTarget(
  history: readonly AliasMove[],
  rejected: ReadonlySet<number> = new Set(),
): number | undefined {
  const stack: number[] = [];
  for (const move of history) {
    if (move.version === null) {
      stack.length = 0;
      continue;
    }
    if (move.action === 'rollback') {
      while (stack.length > 0 && stack[stack.length - 1] !== move.version) stack.pop();
      if (stack.length === 0) stack.push(move.version);
    } else {
      if (stack.length === 0 && move.previous !== null) stack.push(move.previous);
      stack.push(move.version);
    }
  }
  for (let i = stack.length - 2; i >= 0; i--) {
    const version = stack[i] as number;
    if (version !== stack[stack.length - 1] && !rejected.has(version)) return version;
  }
  return undefined;
}
