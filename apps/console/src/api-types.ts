// The JSON the console's API serves. Types only: the browser bundle imports them too, so nothing here may
// touch Node or the DOM.

import type { LineageComparison } from '@slipway/model-store';
import type { ReportReview } from '@slipway/steps';

export type { LineageComparison, LineageRow } from '@slipway/model-store';
export type { ClassChange, Confusion, ReportReview } from '@slipway/steps';

/** How a state (or an execution) looks on the page. */
export type Phase = 'not-run' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'stopped';

/** Where the console reads executions from. */
export type SourceKind = 'local' | 'aws';

/** One row of the executions page. */
export interface ExecutionSummary {
  readonly id: string;
  /** As the runner reports it: RUNNING, SUCCEEDED, FAILED, ABORTED (AWS adds TIMED_OUT). */
  readonly status: string;
  /** What the page shows: `waiting` while a person has to decide at Approval. */
  readonly phase: Phase;
  readonly startedAt: string;
  readonly stoppedAt: string | null;
  readonly currentState: string | null;
  readonly model: string | null;
  readonly dataset: { readonly name: string; readonly sha256: string } | null;
  readonly git: { readonly commit: string; readonly pullRequest: string };
  readonly trigger: string | null;
  readonly error: string | null;
  readonly cause: string | null;
}

/** One state of the definition in one execution. */
export interface StateView {
  readonly name: string;
  readonly type: string;
  readonly phase: Phase;
  readonly enteredAt: string | null;
  readonly stoppedAt: string | null;
  /** Time spent in the state, summed over every entry (a resumed execution enters a state again). */
  readonly durationMs: number | null;
  readonly retries: number;
  readonly error: string | null;
  readonly cause: string | null;
}

/** A history event without its state input/output (those can be large; the page does not list them). */
export interface EventView {
  readonly seq: number;
  readonly type: string;
  readonly timestamp: string;
  readonly state: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly message: string | null;
}

/** A decision a person made on the execution's approval. */
export interface DecisionView {
  readonly decision: 'approve' | 'reject';
  readonly by: string;
  /** The approver's comment or the rejection's reason. */
  readonly comment: string;
  readonly at: string;
}

/** Everything the execution page shows. */
export interface ExecutionDetail extends ExecutionSummary {
  readonly states: Readonly<Record<string, StateView>>;
  readonly events: readonly EventView[];
  readonly approval: {
    /** True while the execution waits at Approval for a decision. */
    readonly waiting: boolean;
    /** The registered version that waits for approval, once Register has run. */
    readonly version: number | null;
    readonly summary: string | null;
    readonly decisions: readonly DecisionView[];
    /** The candidate's figures beside production's, from the evaluation; null before Evaluate ran. */
    readonly figures: {
      readonly candidate: { readonly accuracy: number; readonly macroF1: number };
      readonly production: {
        readonly version: number;
        readonly accuracy: number;
        readonly macroF1: number;
      } | null;
    } | null;
    /** Dataset, commit and hyperparameters beside production's; null until the store says. */
    readonly lineage: LineageComparison | null;
  };
  /** Training jobs whose logs can be read. */
  readonly jobs: readonly string[];
  readonly input: unknown;
  readonly output: unknown;
}

/** A node of the drawn state machine; coordinates are the top-left corner in SVG units. */
export interface GraphNode {
  readonly id: string;
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A transition: Next, a Choice rule, a Choice's Default, or a Catch. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'next' | 'choice' | 'default' | 'catch';
  readonly label: string;
  /** The line's points, from the bottom of `from` to the top of `to`. */
  readonly points: readonly (readonly [number, number])[];
}

/** The state machine laid out in layers, top to bottom. */
export interface GraphLayout {
  readonly startAt: string;
  readonly width: number;
  readonly height: number;
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** A version on the models page. */
export interface VersionView {
  readonly version: number;
  readonly createdAt: string | null;
  readonly accuracy: number | null;
  readonly macroF1: number | null;
  readonly perClassF1: Readonly<Record<string, number>>;
  readonly classes: readonly string[];
  readonly dataset: { readonly name: string; readonly sha256: string } | null;
  readonly gitCommit: string | null;
  readonly pullRequest: number | null;
  readonly executionId: string | null;
  readonly hyperparameters: Readonly<Record<string, string | number | boolean>>;
  readonly trainingDurationMs: number | null;
  readonly problem: string | null;
  /** Aliases pointing at this version. */
  readonly aliases: readonly string[];
  /** This version against what production points at now. */
  readonly lineage: LineageComparison | null;
  /** Set when the version was rejected at approval: the registry's rejection record (who, why, when). */
  readonly rejected: { readonly reason: string; readonly by: string; readonly at: string } | null;
  /** The latest `slipway verify` of this version (outcome, who, when, summary); null: never verified. */
  readonly verification: VerificationView | null;
}

/** One rebuild of a version from its lineage (`slipway verify`), as the console shows it. */
export interface VerificationView {
  readonly outcome: string;
  readonly at: string;
  readonly by: string;
  readonly where: string;
  readonly summary: string;
}

/** One move of an alias. */
export interface AliasMoveView {
  readonly version: number | null;
  readonly previous: number | null;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly reason: string;
  readonly action: string;
  /** Set when the move was forced onto a version rejected at approval: who rejected it and why. */
  readonly forcedOverRejection?: { readonly by: string; readonly reason: string; readonly at: string };
}

/** An alias with its moves, newest first. */
export interface AliasView {
  readonly alias: string;
  readonly version: number;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly reason: string;
  /** The version a rollback would move it to, if there is one. */
  readonly rollbackTo: number | null;
  readonly history: readonly AliasMoveView[];
}

/** The models page's list. */
export interface ModelSummary {
  readonly name: string;
  readonly aliases: Readonly<Record<string, number>>;
}

/** One model in detail. */
export interface ModelDetail {
  readonly name: string;
  readonly versions: readonly VersionView[];
  readonly nextCursor: string | null;
  readonly aliases: readonly AliasView[];
}

/** What the local inference endpoint serves, if it runs. */
/** One endpoint serving a model: this console's own, or a `slipway serve` process that announced itself. */
export interface EndpointView {
  readonly model: string;
  /** The version it answers with; null before its first load. */
  readonly version: number | null;
  readonly url: string;
  /** `console`: this console's endpoint ("try it" goes there); `announced`: another process's (`slipway serve`, `slipway run`), from its record in the store. */
  readonly by: 'console' | 'announced';
  readonly alias: string;
  /** A text to try: the served model's first self-test text (this console's endpoints only). */
  readonly example: string | null;
  /** Where a `slipway serve` process runs: its machine, process id and worker processes. */
  readonly host: string | null;
  readonly pid: number | null;
  readonly workers: number | null;
  /** Its last heartbeat. */
  readonly updatedAt: string | null;
}

export interface ServingView {
  /** Every endpoint (of one model, when asked with `?model=`): each model has its own. */
  readonly endpoints: readonly EndpointView[];
  /** Why nothing is served, in words, when nothing is. */
  readonly note: string | null;
  /** Whether this console can start an endpoint (it owns a local pipeline). */
  readonly canServe: boolean;
}

/** The page's boot data, fetched once. */
export interface ConsoleInfo {
  readonly source: SourceKind;
  readonly store: string | null;
  readonly actor: string;
  /** Whether runs can be started from this console (a local pipeline is attached). */
  readonly canStart: boolean;
  readonly datasets: readonly string[];
  /** The largest upload `POST /api/datasets` takes, in bytes of the files together. */
  readonly maxUploadBytes: number;
}

/** An API error body. */
export interface ApiError {
  readonly error: { readonly code: string; readonly message: string };
}

/** A message on the `/api/events` stream. */
export type ConsoleEvent =
  | { readonly type: 'execution'; readonly execution: ExecutionSummary }
  | { readonly type: 'models' };

/** One model's figures in the evaluation report. */
export interface ReportModelView {
  readonly classes: readonly string[];
  readonly metrics: {
    readonly accuracy: number;
    readonly macroF1: number;
    readonly logLoss: number;
    readonly perClass: Readonly<
      Record<
        string,
        { readonly precision: number; readonly recall: number; readonly f1: number; readonly support: number }
      >
    >;
    readonly confusion: readonly (readonly number[])[];
    readonly classes: readonly string[];
    readonly rows: number;
  };
  readonly latency: {
    readonly singleSamples: number;
    readonly singleMedianMs: number;
    readonly singleP99Ms: number;
    readonly batchSize: number;
    readonly batchMs: number;
    readonly batchTextsPerSecond: number;
  };
}

/** The evaluation report as the report page reads it (a view of the Evaluate step's full report). */
export interface ReportView {
  readonly model: string;
  readonly executionId: string;
  readonly createdAt: string;
  readonly durationMs: number;
  readonly dataset: { readonly name: string; readonly sha256: string; readonly testRows: number };
  readonly thresholds: {
    readonly minAccuracy: number;
    readonly maxRegression: number;
    readonly minClassF1: number;
  };
  readonly candidate: ReportModelView;
  readonly production: (ReportModelView & { readonly version: number }) | null;
  /** The registered candidate's latest `slipway verify`; null before Register or when never verified. */
  readonly verification?: VerificationView | null;
  readonly verdict: {
    readonly passed: boolean;
    readonly summary: string;
    readonly reasons: readonly {
      readonly check: string;
      readonly passed: boolean;
      readonly message: string;
    }[];
  };
  readonly samples: readonly { readonly text: string; readonly label: string }[];
  /** Classes ordered by change, top confusions: computed by the server for any number of classes. */
  readonly review: ReportReview;
  /** The candidate's lineage beside production's. */
  readonly lineage: LineageComparison;
}
