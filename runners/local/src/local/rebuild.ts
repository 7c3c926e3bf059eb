import { randomUUID } from 'node:crypto';
import { ENV, layout } from '@slipway/contracts';
import type { ModelStore } from '@slipway/model-store';
import { type RebuildRequest, type Rebuilt, readArtifact, TrainerUnavailableError } from '@slipway/steps';
import { runLocalJob } from '../runtime/trainer.js';

/** Options of {@link localRebuild}. */
export interface LocalRebuildOptions {
  /** Where a command trainer's command runs (its relative paths resolve from here); default: the current directory. */
  readonly workdir?: string;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

/**
 * The rebuild port of `verifyVersion` on this machine: the recorded inputs run as a training job in
 * SageMaker's layout, exactly as the pipeline's Train state runs locally (channels from the stored
 * dataset, hyperparameters as passed, the model's name and the recorded commit in the environment),
 * and its model.tar.gz is read back from the store's `runs/`.
 *
 * A recorded built-in trainer at another version is rebuilt with the installed one (the verification
 * then reports both versions). A command trainer runs its recorded command on this machine from
 * `workdir`; one recorded as run in an image is refused ({@link TrainerUnavailableError}): this runner
 * runs no images, and a command outside its image is not the recorded trainer.
 */
export function localRebuild(
  store: ModelStore,
  options: LocalRebuildOptions = {},
): (request: RebuildRequest) => Promise<Rebuilt> {
  return async (request) => {
    const { trainer } = request;
    if (trainer.type === 'command' && trainer.image !== null) {
      throw new TrainerUnavailableError(
        `version ${request.version} of "${request.model}" was trained by ${trainer.command.join(' ')} in image ${trainer.image}; this machine runs no images: verify it with --aws, which runs the same image`,
      );
    }
    const job =
      `verify-${request.model}-${request.version}-${request.attempt}-${randomUUID().slice(0, 8)}`.slice(
        0,
        63,
      );
    const datasetKey = layout.datasetVersion(request.dataset.name, request.dataset.sha256).replace(/\/$/, '');
    const outputKey = layout.runArtifact(job);
    await runLocalJob(
      {
        name: job,
        hyperparameters: request.hyperparameters,
        environment: {
          [ENV.modelName]: request.model,
          [ENV.datasetName]: request.dataset.name,
          ...(request.lineage.gitCommit ? { [ENV.gitCommit]: request.lineage.gitCommit } : {}),
        },
        channels: { train: `${datasetKey}/train`, test: `${datasetKey}/test` },
        outputKey,
        ...(trainer.type === 'command'
          ? {
              trainer: {
                type: 'command',
                command: trainer.command,
                ...(options.workdir ? { workdir: options.workdir } : {}),
              },
            }
          : {}),
      },
      {
        store,
        signal: options.signal ?? new AbortController().signal,
        log: options.log ?? (() => {}),
      },
    );
    const artifact = await readArtifact(
      store,
      `${store.uri.replace(/\/+$/, '')}/${outputKey}`,
      request.model,
    );
    const modelBytes = artifact.files['model.onnx'];
    if (modelBytes === undefined) throw new Error(`the rebuild ${job} wrote no model.onnx`);
    return { modelBytes, manifest: artifact.manifest };
  };
}
