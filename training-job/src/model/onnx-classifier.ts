import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ModelManifest } from '@slipway/contracts';
import type * as Ort from 'onnxruntime-node';
import { onnxruntimeVersion } from '../versions.js';
import type { Classifier, Prediction } from './classifier.js';
import { ModelContractError, ModelFileError } from './errors.js';

/**
 * onnxruntime-node, loaded when the first model opens. A static import would load it, native binding
 * included, in every process that imports this package, and a bundle hoists imports of external
 * packages to its top, so the bundled CLI loaded it for every command, `slipway serve`'s primary
 * included, which never runs a model. It is CommonJS: require() also skips the ES module loader's
 * format detection and export scan, and loads it in about half the time import() takes.
 */
let ortModule: typeof Ort | undefined;
function ort(): typeof Ort {
  ortModule ??= createRequire(import.meta.url)('onnxruntime-node') as typeof Ort;
  return ortModule;
}

/** A batch's raw outputs: `probabilities` is N × classes, row-major. */
export interface RawPredictions {
  readonly labels: string[];
  readonly probabilities: Float32Array;
}

export interface SessionOptions {
  /** Intra-op threads; 1 gives the best tail latency for small batches (FACTS.md). */
  readonly intraOpNumThreads?: number;
  /** Larger batches are run in chunks of this size, which bounds the memory one call takes. */
  readonly maxBatch?: number;
}

/** Turns a raw row of probabilities into a label → probability record. */
export function toPredictions(classes: readonly string[], raw: RawPredictions): Prediction[] {
  const k = classes.length;
  return raw.labels.map((label, i) => {
    // Keyed by class name: a null prototype keeps "__proto__" or "constructor" an ordinary key.
    const probabilities: Record<string, number> = Object.create(null);
    for (let c = 0; c < k; c++) probabilities[classes[c] as string] = raw.probabilities[i * k + c] as number;
    return { label, probabilities };
  });
}

/** A model.onnx running in onnxruntime-node: one session, reused for every call. */
export class OnnxClassifier implements Classifier {
  private constructor(
    private readonly session: Ort.InferenceSession,
    readonly classes: readonly string[],
    private readonly maxBatch: number,
  ) {}

  /** Creates the session from the model's bytes. */
  static async fromBytes(
    bytes: Uint8Array,
    classes: readonly string[],
    options: SessionOptions = {},
  ): Promise<OnnxClassifier> {
    const session = await ort().InferenceSession.create(bytes, {
      intraOpNumThreads: options.intraOpNumThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    return new OnnxClassifier(session, classes, options.maxBatch ?? 256);
  }

  async predictRaw(texts: readonly string[]): Promise<RawPredictions> {
    const k = this.classes.length;
    const labels: string[] = new Array(texts.length);
    const probabilities = new Float32Array(texts.length * k);
    for (const group of lengthGroups(texts, this.maxBatch)) {
      const chunk = group.map((i) => texts[i] as string);
      const out = await this.session.run({
        text: new (ort().Tensor)('string', chunk, [chunk.length]),
      });
      const chunkLabels = out.label?.data;
      const chunkProbabilities = out.probabilities?.data;
      const n = chunk.length;
      // The model contract's shapes, checked on every batch: a model whose outputs do not line up with
      // its inputs would otherwise give every text some other text's label.
      if (
        out.label?.type !== 'string' ||
        !Array.isArray(chunkLabels) ||
        !sameDims(out.label.dims, [n]) ||
        out.probabilities?.type !== 'float32' ||
        !(chunkProbabilities instanceof Float32Array) ||
        !sameDims(out.probabilities.dims, [n, k])
      ) {
        throw new ModelContractError(
          `for ${n} text${n === 1 ? '' : 's'} model.onnx gave ${describeOutput('label', out.label)} and ` +
            `${describeOutput('probabilities', out.probabilities)}; slipway needs label: string[${n}] and ` +
            `probabilities: float32[${n},${k}] (${k} classes in metadata_props)`,
        );
      }
      group.forEach((at, j) => {
        labels[at] = (chunkLabels as string[])[j] as string;
        probabilities.set(chunkProbabilities.subarray(j * k, (j + 1) * k), at * k);
      });
    }
    return { labels, probabilities };
  }

  /** The graph's inputs and outputs as onnxruntime reads them. */
  get signature(): {
    readonly inputs: readonly Ort.InferenceSession.ValueMetadata[];
    readonly outputs: readonly Ort.InferenceSession.ValueMetadata[];
  } {
    return { inputs: this.session.inputMetadata, outputs: this.session.outputMetadata };
  }

  async predict(texts: readonly string[]): Promise<Prediction[]> {
    if (texts.length === 0) return [];
    return toPredictions(this.classes, await this.predictRaw(texts));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function sameDims(actual: readonly number[], expected: readonly number[]): boolean {
  return actual.length === expected.length && actual.every((d, i) => d === expected[i]);
}

function describeOutput(name: string, tensor: Ort.Tensor | undefined): string {
  return tensor ? `${name}: ${tensor.type}[${tensor.dims.join(',')}]` : `no ${name}`;
}

/**
 * What onnxruntime said, without its C++ frame: the first line of its message, minus the
 * `/onnxruntime_src/…/model.cc:202 onnxruntime::Model::Model(…) ` source location and signature it
 * prefixes to assertion failures, which tell a user nothing.
 * @example ortReason(new Error('/onnxruntime_src/x.cc:1 f(int) Bad thing')) // 'Bad thing'
 */
export function ortReason(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).split('\n')[0]?.trim() ?? '';
  const located = /^(.*?)\/onnxruntime_src\/\S+:\d+ /.exec(text);
  if (!located) return text.replace(/\.$/, '');
  // Skip the function signature: up to the parenthesis that closes its argument list.
  let rest = text.slice(located[0].length);
  const open = rest.indexOf('(');
  if (open >= 0) {
    let depth = 0;
    for (let i = open; i < rest.length; i++) {
      if (rest[i] === '(') depth++;
      else if (rest[i] === ')' && --depth === 0) {
        rest = rest.slice(i + 1);
        break;
      }
    }
  }
  const reason = rest
    .replace(/^\s*(const\s*)?/, '')
    .trim()
    .replace(/\.$/, '');
  return `${located[1] ?? ''}${reason || text}`.trim();
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Reads and parses a folder's manifest.json. */
export async function readManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ModelFileError(
      `${path} cannot be read: is ${dir} a model folder written by \`slipway train\`?`,
      {
        cause,
      },
    );
  }
  try {
    const manifest = JSON.parse(text) as ModelManifest;
    if (manifest.schema !== 'slipway.model/v1' || !Array.isArray(manifest.classes) || !manifest.files) {
      throw new Error('missing schema, classes or files');
    }
    return manifest;
  } catch (cause) {
    throw new ModelFileError(`${path} is not a slipway model manifest (${(cause as Error).message})`, {
      cause,
    });
  }
}

/**
 * Opens a model folder (model.onnx + manifest.json): checks every file's sha256 against the manifest,
 * then creates one onnxruntime session. A mismatch is an error, never a silent load.
 */
export async function openModel(
  dir: string,
  options: SessionOptions = {},
): Promise<{ manifest: ModelManifest; classifier: OnnxClassifier }> {
  const manifest = await readManifest(dir);
  let model: Uint8Array | undefined;
  for (const [name, entry] of Object.entries(manifest.files)) {
    const bytes = await readFile(join(dir, name)).catch((cause: unknown) => {
      throw new ModelFileError(`${join(dir, name)} is listed in the manifest but cannot be read`, { cause });
    });
    const actual = sha256(bytes);
    if (actual !== entry.sha256) {
      throw new ModelFileError(
        `${join(dir, name)} is corrupt: sha256 ${actual}, the manifest expects ${entry.sha256}. Re-download or re-train the model.`,
      );
    }
    if (name === 'model.onnx') model = bytes;
  }
  if (!model) throw new ModelFileError(`${join(dir, 'manifest.json')} lists no model.onnx`);
  const classifier = await OnnxClassifier.fromBytes(model, manifest.classes, options).catch(
    (cause: unknown) => {
      throw new ModelFileError(
        `onnxruntime ${onnxruntimeVersion} cannot load ${join(dir, 'model.onnx')}: ${ortReason(cause)}. ` +
          'The file is whole (its sha256 matches the manifest) but is not a model this onnxruntime runs: ' +
          'train it again with this slipway, or serve it with the onnxruntime it was trained with',
        {
          cause,
        },
      );
    },
  );
  return { manifest, classifier };
}

/**
 * A graph that tokenizes pads every text of a run to the longest one in it, so a run that mixes a
 * 14,000-character e-mail with short texts pays for every row at that length (most of a batch of 64
 * spam e-mails' time). Texts are therefore run shortest first, in groups of similar length: a group
 * closes when padding it to its newest (longest) text would cost more than twice its characters plus
 * what one more run costs ({@link RUN_COST_CHARS}). Each text's row is computed on its own, so the
 * grouping changes the cost, never an answer. Returns indices into `texts`, at most `maxBatch` per group.
 */
export function lengthGroups(texts: readonly string[], maxBatch: number): number[][] {
  const order = texts
    .map((_, i) => i)
    .sort((a, b) => (texts[a] as string).length - (texts[b] as string).length);
  const groups: number[][] = [];
  let group: number[] = [];
  let chars = 0;
  for (const i of order) {
    const length = (texts[i] as string).length;
    const padded = (group.length + 1) * length;
    if (group.length > 0 && (group.length >= maxBatch || padded > 2 * (chars + length) + RUN_COST_CHARS)) {
      groups.push(group);
      group = [];
      chars = 0;
    }
    group.push(i);
    chars += length;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/**
 * What one more `session.run` costs, in characters of text it could have scored meanwhile: a run's fixed
 * cost is a few tens of microseconds, and the graph scores spam's e-mails at about 11 characters per µs.
 */
const RUN_COST_CHARS = 2_000;
