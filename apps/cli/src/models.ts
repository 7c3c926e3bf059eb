import { describeTrainer, type ModelManifest, PRODUCTION_ALIAS, rebuildLineage } from '@slipway/contracts';
import {
  type AliasMove,
  type AliasRecord,
  type ComparableVersion,
  compareLineage,
  type GcReport,
  type LineageComparison,
  type ModelStore,
  openStore,
  type RejectionRecord,
  type VerificationRecord,
  type VersionListing,
  type VersionPage,
} from '@slipway/model-store';
import { sweepScratchDirs } from '@slipway/runner-local';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type Io, Output } from './output.js';
import { describeChange } from './review.js';

/** Where `slipway models` looks when neither --store nor SLIPWAY_STORE says otherwise. */
const DEFAULT_STORE = 'file://./.slipway/store';

interface StoreFlags {
  store: string;
  json?: boolean;
}

const positiveInt = (what: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError(`${what} must be a positive integer.`);
  return Number(value);
};

// Commander turns a parser's null into '', so "not set" stays the string 'none' until the action.
const expectedVersion = (value: string): number | 'none' =>
  value === 'none' ? 'none' : positiveInt('--expected')(value);

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration like `24h`, `30m`, `90s`, `2d` or `0`. */
function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('use a duration like 24h, 30m, 90s, 2d or 0.');
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? 'ms'] ?? 1));
}

/** Renders rows as left-aligned columns. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const fixed = (n: unknown) => (typeof n === 'number' ? n.toFixed(4) : '-');

async function withStore<T>(flags: StoreFlags, fn: (store: ModelStore, out: Output) => Promise<T>, io: Io) {
  const store = await openStore(flags.store);
  try {
    return await fn(store, new Output(io, Boolean(flags.json)));
  } finally {
    await store.close();
  }
}

/** Version -> alias names, for listings. */
async function aliasesByVersion(store: ModelStore, name: string): Promise<Map<number, string[]>> {
  const map = new Map<number, string[]>();
  for (const alias of await store.listAliases(name))
    map.set(alias.version, [...(map.get(alias.version) ?? []), alias.alias]);
  return map;
}

/** `rejected by carol at 2026-…: too slow` (who and why a version was rejected at approval). */
function describeRejection(rejection: RejectionRecord): string {
  return `rejected by ${rejection.by || 'an unknown decider'} at ${rejection.at}${rejection.reason ? `: ${rejection.reason}` : ''}`;
}

function describeMove(move: AliasMove): string {
  const from = move.previous === null ? 'unset' : `v${move.previous}`;
  const forced = move.forcedOverRejection
    ? `  [forced onto a version ${describeRejection(move.forcedOverRejection)}]`
    : '';
  return `${move.updatedAt}  ${move.action.padEnd(8)}  ${from} -> v${move.version}  by ${move.updatedBy}${move.reason ? `: ${move.reason}` : ''}${forced}`;
}

/** What production points at and its manifest's lineage, to compare versions with; null without production. */
async function productionVersion(store: ModelStore, name: string): Promise<ComparableVersion | null> {
  const record = (await store.listAliases(name)).find((a) => a.alias === PRODUCTION_ALIAS);
  if (!record) return null;
  const found = await store.getManifest(name, record.version).catch(() => null);
  return { version: record.version, lineage: found?.manifest.lineage ?? null };
}

/** `C 10 -> 20, ngramMax 2 -> 1` against production; `-` for production itself or without one. */
function changesAgainst(comparison: LineageComparison): string {
  if (comparison.productionVersion === null || comparison.productionVersion === comparison.candidateVersion)
    return '-';
  return comparison.changed.length === 0
    ? 'same'
    : comparison.changed
        .filter((r) => r.key !== 'commit' && r.key !== 'pullRequest')
        .map((r) =>
          r.key === 'dataset' ? 'dataset' : `${r.label} ${r.production ?? '-'}->${r.candidate ?? '-'}`,
        )
        .concat(comparison.changed.some((r) => r.key === 'commit') ? ['commit'] : [])
        .join(' ');
}

/** Every class up to 12, else the count and the first 10. */
function classList(classes: readonly string[]): string {
  if (classes.length === 0) return '-';
  if (classes.length <= 12) return classes.join(', ');
  return `${classes.length}: ${classes.slice(0, 10).join(', ')}, … (--json lists all)`;
}

function describeManifest(
  manifest: ModelManifest,
  aliases: string[],
  comparison: LineageComparison,
  rejection: RejectionRecord | undefined,
  verifications: readonly VerificationRecord[] = [],
): string {
  const l = manifest.lineage ?? ({} as Partial<ModelManifest['lineage']>);
  const m = manifest.metrics ?? ({} as Partial<ModelManifest['metrics']>);
  const lines = [
    `${manifest.name} v${manifest.version}${aliases.length ? `  (${aliases.join(', ')})` : ''}${rejection ? '  REJECTED' : ''}`,
    ...(rejection ? [`  rejected     ${describeRejection(rejection).slice('rejected '.length)}`] : []),
    `  created      ${l.createdAt ?? '-'}`,
    `  classes      ${classList(manifest.classes ?? [])}`,
    `  accuracy     ${fixed(m.accuracy)}   macro-F1 ${fixed(m.macroF1)}   log-loss ${fixed(m.logLoss)}`,
    `  git commit   ${l.gitCommit ?? '-'}`,
    `  pull request ${l.pullRequest ?? '-'}`,
    `  execution    ${l.executionId ?? '-'}`,
    `  dataset      ${l.dataset ? `${l.dataset.name} ${l.dataset.sha256}` : '-'}`,
    `  trainer      ${describeTrainer(rebuildLineage(l).trainer)}`,
    `  hyperparams  ${
      Object.entries(l.hyperparameters ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '-'
    }`,
    comparison.productionVersion === null
      ? '  production   none yet'
      : comparison.productionVersion === manifest.version
        ? '  production   this version'
        : comparison.changed.length === 0
          ? `  vs production v${comparison.productionVersion}: same dataset, commit and hyperparameters`
          : [
              `  vs production v${comparison.productionVersion}:`,
              ...comparison.changed.map((r) => `    ${describeChange(r)}`),
            ].join('\n'),
    verifications.length === 0
      ? `  rebuilds     never verified (slipway verify ${manifest.name} ${manifest.version})`
      : [
          '  rebuilds (slipway verify)',
          ...verifications.map(
            (v) =>
              `    ${v.at}  ${v.outcome.padEnd(17)}  by ${v.by} (${v.where})${v.environment ? `  node ${v.environment.node}, onnxruntime ${v.environment.onnxruntime}, ${v.environment.platform}` : ''}`,
          ),
        ].join('\n'),
    '  files (sha256 verified)',
    ...Object.entries(manifest.files).map(
      ([file, e]) => `    ${file.padEnd(20)} ${String(e.bytes).padStart(10)} B  ${e.sha256}`,
    ),
  ];
  return lines.join('\n');
}

function describeGc(report: GcReport, temporaryFolders: readonly string[] = []): string {
  const verb = report.dryRun ? 'would remove' : 'removed';
  const lines = report.removed.map((r) =>
    r.kind === 'rejected-version'
      ? `${verb} rejected version ${r.name} v${r.id} (${r.keys.length} object${r.keys.length === 1 ? '' : 's'}; no alias names it, its rejection record is kept)`
      : `${verb} ${r.kind} ${r.name} ${r.id} (${r.keys.length} object${r.keys.length === 1 ? '' : 's'})`,
  );
  for (const folder of temporaryFolders)
    lines.push(`${verb} temporary folder ${folder} (its process is gone)`);
  if (report.inFlight.length > 0) {
    lines.push(
      `kept ${report.inFlight.length} incomplete registration(s) younger than the grace period: ${report.inFlight
        .map((f) => `${f.name} ${f.id}`)
        .join(', ')}`,
    );
  }
  if (report.interruptedWrites > 0) lines.push(`removed ${report.interruptedWrites} interrupted write(s)`);
  return lines.length > 0 ? lines.join('\n') : 'nothing to remove';
}

/** `slipway models list|show|aliases|set-alias|rollback|gc`. */
export function modelsCommands(program: Command, io: Io): void {
  const models = program
    .command('models')
    .description(
      'Inspect the model store: versions, lineage, aliases; move aliases; clean up failed registrations',
    );

  const withStoreOptions = (command: Command) =>
    command
      .addOption(
        new Option('--store <uri>', 'model store: file:///path, ./path or s3://bucket/prefix')
          .env('SLIPWAY_STORE')
          .default(DEFAULT_STORE),
      )
      .option('--json', 'print the result as JSON');

  withStoreOptions(
    models
      .command('list')
      .description('List the models, or the versions of one model (newest first)')
      .argument('[model]', 'model name')
      .option('--limit <n>', 'versions per page', positiveInt('--limit'), 20)
      .option('--cursor <cursor>', 'continue a listing (the cursor the previous page printed)'),
  ).action(async (name: string | undefined, flags: StoreFlags & { limit: number; cursor?: string }) =>
    withStore(
      flags,
      async (store, out) => {
        if (name === undefined) {
          const names = await store.listModels();
          const summaries = await Promise.all(
            names.map(async (model) => {
              const latest = await store.latestVersion(model);
              const aliases = Object.fromEntries(
                (await store.listAliases(model)).map((a) => [a.alias, a.version]),
              );
              return { name: model, latest: latest ?? null, aliases };
            }),
          );
          out.result({ store: store.uri, models: summaries }, () =>
            summaries.length === 0
              ? `no models in ${store.uri}`
              : table(
                  ['MODEL', 'LATEST', 'ALIASES'],
                  summaries.map((s) => [
                    s.name,
                    s.latest === null ? '-' : String(s.latest),
                    Object.entries(s.aliases)
                      .map(([a, v]) => `${a}=v${v}`)
                      .join(' ') || '-',
                  ]),
                ),
          );
          return;
        }
        const page: VersionPage = await store.listVersions(name, {
          limit: flags.limit,
          cursor: flags.cursor ?? null,
        });
        const aliases = await aliasesByVersion(store, name);
        const rejections = await store.listRejections(name);
        const anyRejected = page.versions.some((v) => rejections.has(v.version));
        const production = await productionVersion(store, name);
        const compared = (v: VersionListing) =>
          compareLineage({ version: v.version, lineage: v.manifest?.lineage ?? null }, production);
        out.result(
          {
            ...page,
            versions: page.versions.map((v) => ({
              ...v,
              aliases: aliases.get(v.version) ?? [],
              rejected: rejections.get(v.version) ?? null,
              comparison: v.manifest ? compared(v) : null,
            })),
          },
          () =>
            page.versions.length === 0
              ? `model "${name}" has no versions yet`
              : table(
                  [
                    'VERSION',
                    'CREATED',
                    'ACCURACY',
                    'MACRO-F1',
                    'COMMIT',
                    'PR',
                    'ALIASES',
                    'VS PRODUCTION',
                    ...(anyRejected ? ['REJECTED'] : []),
                  ],
                  page.versions.map((v) => {
                    const rejection = rejections.get(v.version);
                    // Only when the page holds a rejected version, so scripts reading other pages see no new column.
                    const rejectedCell = anyRejected
                      ? [
                          rejection
                            ? `by ${rejection.by || '?'}${rejection.reason ? `: ${rejection.reason}` : ''}`
                            : '-',
                        ]
                      : [];
                    if (!v.manifest)
                      return [
                        String(v.version),
                        `unreadable manifest: ${v.problem ?? ''}`,
                        '',
                        '',
                        '',
                        '',
                        '',
                        '',
                        ...rejectedCell,
                      ];
                    const l = v.manifest.lineage ?? {};
                    return [
                      String(v.version),
                      l.createdAt ?? '-',
                      fixed(v.manifest.metrics?.accuracy),
                      fixed(v.manifest.metrics?.macroF1),
                      l.gitCommit ? l.gitCommit.slice(0, 10) : '-',
                      l.pullRequest ? `#${l.pullRequest}` : '-',
                      (aliases.get(v.version) ?? []).join(', ') || '-',
                      changesAgainst(compared(v)),
                      ...rejectedCell,
                    ];
                  }),
                ),
        );
        if (page.nextCursor && !flags.json) {
          out.info(
            `more versions: slipway models list ${name} --cursor ${page.nextCursor} --limit ${flags.limit}`,
          );
        }
      },
      io,
    ),
  );

  withStoreOptions(
    models
      .command('show')
      .description('Show one version (number, alias, or "latest") with its lineage; verifies every file')
      .argument('<model>', 'model name')
      .argument('[version]', 'version number, alias or "latest"', 'latest'),
  ).action(async (name: string, ref: string, flags: StoreFlags) =>
    withStore(
      flags,
      async (store, out) => {
        const model = await store.getModel(name, ref);
        const aliases = (await store.listAliases(name))
          .filter((a) => a.version === model.version)
          .map((a) => a.alias);
        const comparison = compareLineage(
          { version: model.version, lineage: model.manifest.lineage },
          await productionVersion(store, name),
        );
        const rejection = await store.getRejection(name, model.version);
        const verifications = await store.listVerifications(name, model.version);
        out.result(
          {
            name,
            version: model.version,
            aliases,
            verified: true,
            rejected: rejection ?? null,
            verifications,
            manifest: model.manifest,
            comparison,
          },
          () => describeManifest(model.manifest, aliases, comparison, rejection, verifications),
        );
      },
      io,
    ),
  );

  withStoreOptions(
    models
      .command('aliases')
      .description("List a model's aliases, or one alias's history (newest first)")
      .argument('<model>', 'model name')
      .argument('[alias]', 'alias name, to show its history'),
  ).action(async (name: string, alias: string | undefined, flags: StoreFlags) =>
    withStore(
      flags,
      async (store, out) => {
        if (alias !== undefined) {
          const record = await store.getAlias(name, alias);
          const history = [...record.history].reverse();
          out.result({ ...record, history }, () =>
            [`${name} ${alias} -> v${record.version}`, ...history.map((m) => `  ${describeMove(m)}`)].join(
              '\n',
            ),
          );
          return;
        }
        const aliases: AliasRecord[] = await store.listAliases(name);
        out.result({ name, aliases: aliases.map(({ history: _history, ...a }) => a) }, () =>
          aliases.length === 0
            ? `model "${name}" has no aliases`
            : table(
                ['ALIAS', 'VERSION', 'PREVIOUS', 'UPDATED', 'BY', 'REASON'],
                aliases.map((a) => [
                  a.alias,
                  `v${a.version}`,
                  a.previous === null ? '-' : `v${a.previous}`,
                  a.updatedAt,
                  a.updatedBy,
                  a.reason || '-',
                ]),
              ),
        );
      },
      io,
    ),
  );

  const moveOptions = (command: Command) =>
    withStoreOptions(
      command
        .option(
          '--expected <version>',
          'only move if the alias is at this version ("none": not set yet); fails on a conflict',
          expectedVersion,
        )
        .option('--reason <text>', 'why, recorded in the alias history', '')
        .option(
          '--force',
          'move onto a version rejected at approval (needs --reason; the rejection is recorded with the move)',
        )
        .option(
          '--actor <name>',
          'who, recorded in the alias history (default: SLIPWAY_ACTOR or the user name)',
        ),
    );
  type MoveFlags = StoreFlags & {
    expected?: number | 'none';
    reason: string;
    actor?: string;
    force?: boolean;
  };
  const moveOptionsOf = (flags: MoveFlags) => ({
    ...(flags.expected !== undefined ? { expected: flags.expected === 'none' ? null : flags.expected } : {}),
    reason: flags.reason,
    ...(flags.force ? { force: true } : {}),
    ...(flags.actor ? { actor: flags.actor } : {}),
  });
  const printMove = (out: Output, record: AliasRecord) =>
    out.result(record, () => {
      const [latest] = record.history.slice(-1);
      return `${record.model} ${record.alias} -> v${record.version}${latest ? `  (${describeMove(latest)})` : ''}`;
    });

  moveOptions(
    models
      .command('set-alias')
      .description('Point an alias (production, staging, candidate, ...) at a version, by compare-and-swap')
      .argument('<model>', 'model name')
      .argument('<alias>', 'alias name')
      .argument('<version>', 'version number', positiveInt('<version>')),
  ).action(async (name: string, alias: string, version: number, flags: MoveFlags) =>
    withStore(
      flags,
      async (store, out) => printMove(out, await store.setAlias(name, alias, version, moveOptionsOf(flags))),
      io,
    ),
  );

  moveOptions(
    models
      .command('rollback')
      .description('Move an alias back to the version it had before')
      .argument('<model>', 'model name')
      .argument('<alias>', 'alias name'),
  ).action(async (name: string, alias: string, flags: MoveFlags) =>
    withStore(
      flags,
      async (store, out) => printMove(out, await store.rollbackAlias(name, alias, moveOptionsOf(flags))),
      io,
    ),
  );

  withStoreOptions(
    models
      .command('gc')
      .description(
        'Remove files of registrations that never completed (older than the grace period) and, with --rejected, unaliased rejected versions',
      )
      .addOption(
        new Option('--grace <duration>', 'only remove what is older than this (e.g. 24h, 30m, 0)')
          .argParser(parseDuration)
          .default(86_400_000, '24h'),
      )
      .option('--dry-run', 'print what would be removed, remove nothing')
      .option(
        '--rejected',
        'also remove versions rejected at approval that no alias names (their rejection records stay)',
      ),
  ).action(async (flags: StoreFlags & { grace: number; dryRun?: boolean; rejected?: boolean }) =>
    withStore(
      flags,
      async (store, out) => {
        const report = await store.gc({
          graceMs: flags.grace,
          dryRun: Boolean(flags.dryRun),
          rejected: Boolean(flags.rejected),
        });
        // Temporary folders of slipway processes that were killed (training jobs, endpoint caches, evaluations).
        const temporaryFolders = await sweepScratchDirs(Boolean(flags.dryRun));
        out.result({ ...report, temporaryFolders }, () => describeGc(report, temporaryFolders));
      },
      io,
    ),
  );
}
