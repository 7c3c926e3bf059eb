import { type ComparableVersion, compareLineage, type ModelStore } from '@slipway/model-store';
import { type EvaluationReport, reviewReport } from '@slipway/steps';
import type { ExecutionDetail, ReportView } from './api-types.js';
import { latestVerification } from './models.js';

/** A version's lineage as the comparison reads it; null when its manifest cannot be read. */
async function versionLineage(
  store: ModelStore,
  model: string,
  version: number,
): Promise<ComparableVersion | null> {
  try {
    const { manifest } = await store.getManifest(model, version);
    return { version, lineage: manifest.lineage };
  } catch {
    return null;
  }
}

/**
 * The report page's data: the report, its review (classes by change, top confusions) and the
 * candidate's lineage beside the production version it was evaluated against. Before Register ran,
 * the candidate's lineage comes from the report itself (dataset, hyperparameters, trainer).
 */
export async function reportView(
  store: ModelStore | undefined,
  report: EvaluationReport,
): Promise<ReportView> {
  const registered = store
    ? await store.findVersions(report.model, { executionId: report.executionId }).catch(() => [])
    : [];
  const manifest = registered[0];
  const candidate: ComparableVersion = manifest
    ? { version: manifest.version, lineage: manifest.lineage }
    : {
        version: null,
        lineage: {
          dataset: { name: report.dataset.name, sha256: report.dataset.sha256 },
          hyperparameters: { ...report.candidate.hyperparameters },
          ...(report.candidate.trainerVersion ? { trainerVersion: report.candidate.trainerVersion } : {}),
        },
      };
  const production =
    report.production === null
      ? null
      : store
        ? ((await versionLineage(store, report.model, report.production.version)) ?? {
            version: report.production.version,
            lineage: { hyperparameters: { ...report.production.hyperparameters } },
          })
        : {
            version: report.production.version,
            lineage: { hyperparameters: { ...report.production.hyperparameters } },
          };
  const verification =
    store && manifest?.version ? await latestVerification(store, report.model, manifest.version) : null;
  return {
    ...report,
    review: reviewReport(report),
    lineage: compareLineage(candidate, production),
    verification,
  };
}

/** Adds the candidate's lineage beside production's to an execution waiting at (or past) Approval. */
export async function withApprovalLineage(
  store: ModelStore | undefined,
  detail: ExecutionDetail,
): Promise<ExecutionDetail> {
  const { version, figures } = detail.approval;
  if (!store || !detail.model || version === null) return detail;
  const candidate = await versionLineage(store, detail.model, version);
  if (!candidate) return detail;
  const productionVersion = figures?.production?.version;
  const production =
    productionVersion === undefined ? null : await versionLineage(store, detail.model, productionVersion);
  return { ...detail, approval: { ...detail.approval, lineage: compareLineage(candidate, production) } };
}
