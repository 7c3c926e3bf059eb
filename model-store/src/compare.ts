import type { Lineage } from '@slipway/contracts';

/** One fact of where a version came from, for the candidate and for production. */
export interface LineageRow {
  /** Stable key: `dataset`, `commit`, `pullRequest`, `trainer`, or `hp.<name>` for a hyperparameter. */
  readonly key: string;
  /** What people read, e.g. `dataset`, `C`. */
  readonly label: string;
  readonly candidate: string | null;
  /** Null when there is no production version, or it lacks the fact. */
  readonly production: string | null;
  /** True only when a production version exists and the two differ. */
  readonly changed: boolean;
}

/** A candidate's lineage beside production's: what a reviewer needs before approving. */
export interface LineageComparison {
  readonly candidateVersion: number | null;
  readonly productionVersion: number | null;
  /** Dataset, commit, pull request, trainer, then every hyperparameter (sorted by name). */
  readonly rows: readonly LineageRow[];
  /** The rows that differ from production (empty without production). */
  readonly changed: readonly LineageRow[];
}

/** The parts of a manifest the comparison reads; any of them may be missing in an old manifest. */
export interface ComparableVersion {
  readonly version: number | null;
  readonly lineage?: Partial<Lineage> | null;
}

const text = (value: unknown): string | null =>
  value === null || value === undefined || value === '' ? null : String(value);

function facts(lineage: Partial<Lineage> | null | undefined): Map<string, [string, string | null]> {
  const l = lineage ?? {};
  const out = new Map<string, [string, string | null]>([
    ['dataset', ['dataset', l.dataset ? `${l.dataset.name} ${l.dataset.sha256.slice(0, 12)}` : null]],
    ['commit', ['commit', text(l.gitCommit)?.slice(0, 12) ?? null]],
    [
      'pullRequest',
      ['pull request', l.pullRequest === null || l.pullRequest === undefined ? null : `#${l.pullRequest}`],
    ],
    ['trainer', ['trainer', text(l.trainerVersion)]],
  ]);
  for (const [name, value] of Object.entries(l.hyperparameters ?? {}))
    out.set(`hp.${name}`, [name, text(value)]);
  return out;
}

/**
 * Compares a candidate's lineage (dataset, commit, pull request, trainer, hyperparameters) with the
 * production version's. The one comparison the approval prompt, the console and `slipway models` show.
 * @example compareLineage(candidateManifest, productionManifest).changed.map((r) => r.label) // ['dataset', 'C']
 */
export function compareLineage(
  candidate: ComparableVersion,
  production: ComparableVersion | null,
): LineageComparison {
  const ours = facts(candidate.lineage);
  const theirs = production ? facts(production.lineage) : new Map<string, [string, string | null]>();
  const fixed = ['dataset', 'commit', 'pullRequest', 'trainer'];
  const hyper = [...new Set([...ours.keys(), ...theirs.keys()])]
    .filter((k) => k.startsWith('hp.'))
    .sort((a, b) => a.localeCompare(b));
  const rows = [...fixed, ...hyper].map((key): LineageRow => {
    const c = ours.get(key);
    const p = theirs.get(key);
    const candidateValue = c?.[1] ?? null;
    const productionValue = p?.[1] ?? null;
    return {
      key,
      label: c?.[0] ?? p?.[0] ?? key,
      candidate: candidateValue,
      production: productionValue,
      changed: production !== null && candidateValue !== productionValue,
    };
  });
  return {
    candidateVersion: candidate.version,
    productionVersion: production?.version ?? null,
    rows,
    changed: rows.filter((r) => r.changed),
  };
}
