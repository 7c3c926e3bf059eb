import type { ModelStore } from '@slipway/model-store';
import { canonicalJsonl, type Dataset, type LoadOptions, loadDataset } from '@slipway/training-job';

/**
 * Loads a dataset (`builtin:<name>` or a file) and stores it as a version in the model store, where
 * training jobs read it: `datasets/<name>/<sha256>/{train,test}.jsonl`. The files are the canonical
 * JSONL the dataset's hash is defined over, so the training job re-derives the same version from
 * them. Storing the same content again is a no-op.
 */
export async function storeDataset(
  store: ModelStore,
  spec: string,
  options: LoadOptions = {},
): Promise<{ dataset: Dataset; created: boolean }> {
  const loaded = await loadDataset(spec, options);
  // Store names are lowercase; a file called "Reviews 2024.csv" becomes dataset "reviews-2024".
  const name =
    loaded.name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '') || 'dataset';
  const dataset = name === loaded.name ? loaded : { ...loaded, name };
  const { created } = await store.putDataset(dataset.name, {
    train: canonicalJsonl(dataset.train),
    test: canonicalJsonl(dataset.test),
    sha256: dataset.sha256,
    manifest: {
      source: dataset.source,
      split: dataset.split,
      classes: dataset.classes,
      rows: { train: dataset.train.length, test: dataset.test.length },
    },
  });
  return { dataset, created };
}
