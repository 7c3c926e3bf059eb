import { layout, MANIFEST_FILE, recordId } from '@slipway/contracts';
import type { Aliases } from './aliases.js';
import type { ObjectInfo } from './backend.js';
import { abandonClaim, claimedVersions, readClaim } from './claims.js';
import { type StoreContext, safeRecord } from './context.js';
import { assertExecutionId } from './names.js';
import type { Rejections } from './rejections.js';
import { staleServerRecords } from './servers.js';
import { mapLimit } from './util.js';
import type { Versions } from './versions.js';

/** What `gc` may remove; see {@link collectGarbage}. */
export interface GcOptions {
  /** Only what is older than this is removed. Default 24 h. */
  graceMs?: number;
  /** Report, remove nothing. */
  dryRun?: boolean;
  /** Only this execution's registrations and marker (a resume passes `graceMs: 0`). */
  executionId?: string;
  /** Also rejected versions no alias names, rejected before the grace period. */
  rejected?: boolean;
}

/** What `gc` removed (or would remove with `dryRun`). */
export interface GcReport {
  dryRun: boolean;
  graceMs: number;
  removed: {
    kind: 'model-version' | 'dataset-version' | 'execution-marker' | 'rejected-version' | 'server-record';
    name: string;
    id: string;
    keys: string[];
  }[];
  interruptedWrites: number;
  inFlight: { kind: 'model-version' | 'dataset-version'; name: string; id: string }[];
}

/** The store's concerns gc reads before it removes anything. */
export interface GcParts {
  readonly versions: Versions;
  readonly aliases: Aliases;
  readonly rejections: Rejections;
}

const DAY_MS = 86_400_000;

/**
 * Removes the files of registrations that never completed and are older than `graceMs` (default 24 h):
 * version folders without a manifest (their claims are kept, marked abandoned, so numbers are never
 * reused), dataset folders without a manifest, execution markers naming a version that never appeared,
 * server records that expired before the grace period (their server was killed and never withdrew them),
 * and a backend's interrupted-write leftovers. Completed versions are never touched. Every key it reads
 * or removes comes from contracts' `layout`.
 *
 * With `executionId`, only that execution's registrations and marker are considered: what a resumed
 * execution does when the process that ran it died mid-registration (pass `graceMs: 0`; it is safe
 * only when nothing else registers for that execution).
 */
export async function collectGarbage(
  ctx: StoreContext,
  parts: GcParts,
  options: GcOptions = {},
): Promise<GcReport> {
  const { backend } = ctx;
  const graceMs = options.graceMs ?? DAY_MS;
  const dryRun = options.dryRun ?? false;
  const only = options.executionId;
  if (only !== undefined) assertExecutionId(only);
  const cutoff = ctx.now().getTime() - graceMs;
  const report: GcReport = { dryRun, graceMs, removed: [], interruptedWrites: 0, inFlight: [] };
  const remove = async (keys: string[]) => {
    if (!dryRun) await mapLimit(keys, ctx.concurrency, (key) => backend.delete(key));
  };

  for (const name of await parts.versions.listModels()) {
    // One listing of every version's files, grouped by version folder.
    const byVersion = groupByFolder(await backend.list(layout.versions(name)), layout.versions(name));
    const claimed = (await claimedVersions(backend, name)).map(String);
    for (const id of [...new Set([...byVersion.keys(), ...claimed])].sort((a, b) => Number(a) - Number(b))) {
      const version = Number(id);
      const objects = byVersion.get(id) ?? [];
      if (objects.some((o) => o.key === layout.manifest(name, version))) continue;
      const claim = await readClaim(backend, name, version).catch(() => undefined);
      if (only !== undefined && claim?.record.executionId !== only) continue;
      const claimedAt = claim ? Date.parse(claim.record.claimedAt) : Number.NaN;
      const newest = Math.max(
        Number.isNaN(claimedAt) ? 0 : claimedAt,
        ...objects.map((o) => o.lastModified.getTime()),
      );
      if (newest > cutoff) {
        report.inFlight.push({ kind: 'model-version', name, id });
        continue;
      }
      if (claim?.record.state === 'abandoned' && objects.length === 0) continue;
      // Lost race: the registration moved on meanwhile; leave it alone.
      if (!dryRun && claim?.record.state === 'open' && (await abandonClaim(ctx, name, claim)) === undefined)
        continue;
      const keys = objects.map((o) => o.key);
      await remove(keys);
      report.removed.push({ kind: 'model-version', name, id, keys });
    }

    if (options.rejected && only === undefined) await gcRejected(ctx, parts, name, cutoff, dryRun, report);

    const markersPrefix = layout.executionMarkers(name);
    for (const marker of await backend.list(markersPrefix)) {
      const executionId = recordId(markersPrefix, marker.key);
      if (executionId === undefined || marker.lastModified.getTime() > cutoff) continue;
      if (only !== undefined && executionId !== only) continue;
      const found = await backend.get(marker.key);
      const version = found ? safeRecord(found.body)?.version : undefined;
      if (typeof version === 'number' && (await backend.get(layout.manifest(name, version)))) continue;
      await remove([marker.key]);
      report.removed.push({ kind: 'execution-marker', name, id: executionId, keys: [marker.key] });
    }

    if (only !== undefined) continue;
    // Expiry is measured against the cutoff, not now: a server on a host whose clock runs behind still
    // counts as alive for the grace period.
    for (const { id, key } of await staleServerRecords(backend, name, cutoff)) {
      await remove([key]);
      report.removed.push({ kind: 'server-record', name, id, keys: [key] });
    }
  }

  if (only !== undefined) return report;
  // One listing of every dataset's files, grouped by dataset, then by version folder.
  const byDataset = groupByFolder(await backend.list(layout.datasets()), layout.datasets());
  for (const [name, files] of byDataset) {
    for (const [sha256, objects] of groupByFolder(files, layout.dataset(name))) {
      if (objects.some((o) => o.key === layout.datasetFile(name, sha256, MANIFEST_FILE))) continue;
      if (Math.max(...objects.map((o) => o.lastModified.getTime())) > cutoff) {
        report.inFlight.push({ kind: 'dataset-version', name, id: sha256 });
        continue;
      }
      const keys = objects.map((o) => o.key);
      await remove(keys);
      report.removed.push({ kind: 'dataset-version', name, id: sha256, keys });
    }
  }

  if (!dryRun && backend.sweepInterruptedWrites) {
    report.interruptedWrites = await backend.sweepInterruptedWrites(graceMs);
  }
  return report;
}

/**
 * Removes versions rejected before `cutoff` that no alias names. The manifest goes first, so the
 * version stops existing before its files do; the claim is marked abandoned (the number is never
 * reused) and the rejection record stays, so the model's history still shows the rejection.
 */
async function gcRejected(
  ctx: StoreContext,
  parts: GcParts,
  name: string,
  cutoff: number,
  dryRun: boolean,
  report: GcReport,
): Promise<void> {
  const { backend } = ctx;
  const rejections = await parts.rejections.list(name);
  if (rejections.size === 0) return;
  const aliased = new Set((await parts.aliases.list(name)).map((a) => a.version));
  for (const [version, rejection] of [...rejections].sort(([a], [b]) => a - b)) {
    if (aliased.has(version) || Date.parse(rejection.at) > cutoff) continue;
    const objects = await backend.list(layout.version(name, version));
    const manifestKey = layout.manifest(name, version);
    if (!objects.some((o) => o.key === manifestKey)) continue; // removed before
    const keys = [manifestKey, ...objects.map((o) => o.key).filter((k) => k !== manifestKey)];
    // The execution's marker names this version: it goes with it.
    const marker = rejection.executionId ? layout.executionMarker(name, rejection.executionId) : undefined;
    const markerBody = marker ? await backend.get(marker) : undefined;
    if (marker && markerBody && safeRecord(markerBody.body)?.version === version) keys.push(marker);
    if (!dryRun) {
      // Re-check just before deleting: an alias moved onto it since (with --force) keeps it.
      if ((await parts.aliases.list(name)).some((a) => a.version === version)) continue;
      await backend.delete(manifestKey);
      parts.versions.forget(name, version);
      await mapLimit(keys.slice(1), ctx.concurrency, (key) => backend.delete(key));
      const claim = await readClaim(backend, name, version).catch(() => undefined);
      if (claim?.record.state === 'open') await abandonClaim(ctx, name, claim);
    }
    report.removed.push({ kind: 'rejected-version', name, id: String(version), keys });
  }
}

/** Groups listed objects by the folder directly under `prefix` they are in (objects at `prefix` itself are left out). */
function groupByFolder(objects: ObjectInfo[], prefix: string): Map<string, ObjectInfo[]> {
  const groups = new Map<string, ObjectInfo[]>();
  for (const object of objects) {
    const rest = object.key.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) continue;
    const folder = rest.slice(0, slash);
    const group = groups.get(folder) ?? [];
    group.push(object);
    groups.set(folder, group);
  }
  return groups;
}
