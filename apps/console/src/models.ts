import { PRODUCTION_ALIAS } from '@slipway/contracts';
import type { AliasRecord, ModelStore, VersionListing } from '@slipway/model-store';
import { compareLineage, rollbackTarget } from '@slipway/model-store';
import type { AliasView, ModelDetail, ModelSummary, VerificationView, VersionView } from './api-types.js';

/** Every model with where its aliases point. */
export async function listModelSummaries(store: ModelStore): Promise<ModelSummary[]> {
  const names = await store.listModels();
  return Promise.all(
    names.sort().map(async (name) => {
      const aliases = await store.listAliases(name).catch(() => []);
      return {
        name,
        aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version]).sort()),
      };
    }),
  );
}

/** A model's page: a page of versions (newest first) with metrics and lineage, and its aliases. */
export async function modelDetail(
  store: ModelStore,
  name: string,
  options: { readonly cursor?: string | null; readonly limit?: number } = {},
): Promise<ModelDetail> {
  const [page, aliases] = await Promise.all([
    store.listVersions(name, { limit: options.limit ?? 20, cursor: options.cursor ?? null }),
    store.listAliases(name),
  ]);
  const production = aliases.find((a) => a.alias === PRODUCTION_ALIAS);
  const productionListing =
    production === undefined
      ? undefined
      : (page.versions.find((v) => v.version === production.version) ??
        (await store
          .getManifest(name, production.version)
          .then(({ manifest }) => ({ version: production.version, manifest, problem: null }))
          .catch(() => undefined)));
  // The registry's record of each rejection (RecordRejection writes it, on either backend).
  const rejections = await store.listRejections(name);
  const rejectedView = (version: number): VersionView['rejected'] => {
    const r = rejections.get(version);
    return r ? { reason: r.reason, by: r.by, at: r.at } : null;
  };
  const rejected = new Set(rejections.keys());
  const verifications = await Promise.all(
    page.versions.map((v) => latestVerification(store, name, v.version)),
  );
  return {
    name,
    versions: page.versions.map((v, i) =>
      versionView(v, aliases, productionListing ?? null, rejectedView(v.version), verifications[i] ?? null),
    ),
    nextCursor: page.nextCursor,
    aliases: aliases
      .sort((a, b) => a.alias.localeCompare(b.alias))
      .map(
        (a): AliasView => ({
          alias: a.alias,
          version: a.version,
          updatedAt: a.updatedAt,
          updatedBy: a.updatedBy,
          reason: a.reason,
          rollbackTo: rollbackTarget(a.history, rejected) ?? null,
          history: [...a.history].reverse().map((m) => ({
            version: m.version,
            previous: m.previous,
            updatedAt: m.updatedAt,
            updatedBy: m.updatedBy,
            reason: m.reason,
            action: m.action,
            ...(m.forcedOverRejection
              ? {
                  forcedOverRejection: {
                    by: m.forcedOverRejection.by,
                    reason: m.forcedOverRejection.reason,
                    at: m.forcedOverRejection.at,
                  },
                }
              : {}),
          })),
        }),
      ),
  };
}

/** The latest `slipway verify` of a version; a record that cannot be read reads as none. */
export async function latestVerification(
  store: ModelStore,
  name: string,
  version: number,
): Promise<VerificationView | null> {
  const records = await store.listVerifications(name, version).catch(() => []);
  const last = records.at(-1);
  return last
    ? { outcome: last.outcome, at: last.at, by: last.by, where: last.where, summary: last.summary }
    : null;
}

function versionView(
  listing: VersionListing,
  aliases: readonly AliasRecord[],
  production: VersionListing | null,
  rejected: VersionView['rejected'],
  verification: VerificationView | null,
): VersionView {
  const m = listing.manifest;
  const perClass = m?.metrics?.perClass ?? {};
  return {
    version: listing.version,
    createdAt: m?.lineage?.createdAt ?? null,
    accuracy: m?.metrics?.accuracy ?? null,
    macroF1: m?.metrics?.macroF1 ?? null,
    perClassF1: Object.fromEntries(Object.entries(perClass).map(([c, v]) => [c, v.f1])),
    classes: m?.classes ?? [],
    dataset: m?.lineage?.dataset ?? null,
    gitCommit: m?.lineage?.gitCommit || null,
    pullRequest: m?.lineage?.pullRequest ?? null,
    executionId: m?.lineage?.executionId ?? null,
    hyperparameters: m?.lineage?.hyperparameters ?? {},
    trainingDurationMs: m?.lineage?.trainingDurationMs ?? null,
    problem: listing.problem,
    aliases: aliases
      .filter((a) => a.version === listing.version)
      .map((a) => a.alias)
      .sort(),
    lineage: m
      ? compareLineage(
          { version: listing.version, lineage: m.lineage },
          production ? { version: production.version, lineage: production.manifest?.lineage ?? null } : null,
        )
      : null,
    rejected,
    verification,
  };
}
