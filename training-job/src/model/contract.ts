import type * as ort from 'onnxruntime-node';
import { decodeModel } from '../onnx/proto.js';
import { onnxruntimeVersion } from '../versions.js';
import { ModelContractError } from './errors.js';
import { OnnxClassifier, ortReason } from './onnx-classifier.js';

/**
 * The `metadata_props` key holding the class names: a JSON array of two or more distinct strings, in
 * the order of the columns of `probabilities` (docs/model-contract.md).
 * @example metadata['slipway.classes'] = '["negative","positive"]'
 */
export const CLASSES_METADATA_KEY = 'slipway.classes';

/** How far a row of probabilities may be from summing to 1 (float32 softmax over many classes). */
const ROW_SUM_TOLERANCE = 1e-3;

/** `name: type[dims]` as onnxruntime reads a graph input or output; unknown dims print as `?`. */
export function describeValue(value: ort.InferenceSession.ValueMetadata): string {
  if (!value.isTensor) return `${value.name}: not a tensor (a sequence or map)`;
  const dims = value.shape.map((d) => (typeof d === 'number' && d >= 0 ? String(d) : d || '?'));
  return `${value.name}: ${value.type}[${dims.join(',')}]`;
}

/** A dimension that takes any batch size: symbolic (`N`, `batch`) or unknown. */
const isBatchDim = (d: number | string | undefined) => typeof d === 'string' || d === -1;

/** The class names a model file declares, or the error that says why there are none. */
export function declaredClasses(bytes: Uint8Array): string[] {
  let metadata: Record<string, string>;
  try {
    metadata = decodeModel(bytes).metadata;
  } catch (cause) {
    throw new ModelContractError(`model.onnx is not an ONNX model: ${(cause as Error).message}`, { cause });
  }
  const raw = metadata[CLASSES_METADATA_KEY];
  const keys = Object.keys(metadata);
  const example = `a JSON array of the class names in the order of the probabilities' columns, e.g. ${CLASSES_METADATA_KEY} = ["negative","positive"]`;
  if (raw === undefined) {
    throw new ModelContractError(
      `model.onnx has no metadata_props key ${CLASSES_METADATA_KEY} (it has ${keys.length === 0 ? 'no metadata_props' : keys.join(', ')}); slipway needs ${example}`,
    );
  }
  let classes: unknown;
  try {
    classes = JSON.parse(raw);
  } catch {
    classes = undefined;
  }
  if (
    !Array.isArray(classes) ||
    classes.length < 2 ||
    !classes.every((c) => typeof c === 'string' && c !== '') ||
    new Set(classes).size !== classes.length
  ) {
    throw new ModelContractError(
      `model.onnx has ${CLASSES_METADATA_KEY} = ${raw.length > 200 ? `${raw.slice(0, 200)}…` : raw}; slipway needs ${example}, at least two, each non-empty and different`,
    );
  }
  return classes as string[];
}

/** Refuses a signature that is not `text: string[N]` → `label: string[N]`, `probabilities: float32[N,C]`. */
function checkSignature(classifier: OnnxClassifier, k: number): void {
  const { inputs, outputs } = classifier.signature;
  const text = inputs[0];
  if (
    inputs.length !== 1 ||
    !text?.isTensor ||
    text.name !== 'text' ||
    text.type !== 'string' ||
    text.shape.length !== 1 ||
    !isBatchDim(text.shape[0])
  ) {
    throw new ModelContractError(
      `model.onnx has input${inputs.length === 1 ? '' : 's'} ${inputs.map(describeValue).join(', ') || '(none)'}; slipway needs ${inputs.length === 1 ? '' : 'one input, '}text: string[N] (N: any batch size)`,
    );
  }
  const wanted = `label: string[N] and probabilities: float32[N,${k}]`;
  const has = `model.onnx has output${outputs.length === 1 ? '' : 's'} ${outputs.map(describeValue).join(', ') || '(none)'}`;
  const notTensor = outputs.filter((o) => !o.isTensor);
  if (notTensor.length > 0) {
    throw new ModelContractError(
      `${has}; slipway needs ${wanted}, and onnxruntime-node returns tensors only (skl2onnx: pass options={id(classifier): {"zipmap": False}})`,
    );
  }
  const label = outputs.find((o) => o.name === 'label');
  const probabilities = outputs.find((o) => o.name === 'probabilities');
  const columns = probabilities?.isTensor ? probabilities.shape[1] : undefined;
  if (
    !label?.isTensor ||
    label.type !== 'string' ||
    label.shape.length !== 1 ||
    !isBatchDim(label.shape[0]) ||
    !probabilities?.isTensor ||
    probabilities.type !== 'float32' ||
    probabilities.shape.length !== 2 ||
    !isBatchDim(probabilities.shape[0]) ||
    !(columns === k || isBatchDim(columns))
  ) {
    throw new ModelContractError(`${has}; slipway needs ${wanted} (${k} classes in ${CLASSES_METADATA_KEY})`);
  }
}

/**
 * Checks a model file against slipway's model contract with onnxruntime, the runtime that will serve
 * it: the class names in `metadata_props`, the graph's one input and two outputs, and then the model
 * run on `texts` (labels among the classes, one row of probabilities per text summing to 1). Returns the
 * open classifier, to be closed by the caller; throws {@link ModelContractError} saying what it found.
 *
 * @example const classifier = await checkModelContract(bytes, testTexts);
 */
export async function checkModelContract(
  bytes: Uint8Array,
  texts: readonly string[],
): Promise<OnnxClassifier> {
  const classes = declaredClasses(bytes);
  const classifier = await OnnxClassifier.fromBytes(bytes, classes).catch((cause: unknown) => {
    throw new ModelContractError(
      `onnxruntime ${onnxruntimeVersion} cannot load model.onnx: ${ortReason(cause)}; slipway serves models with this onnxruntime, so the file must load in it`,
      { cause },
    );
  });
  try {
    checkSignature(classifier, classes.length);
    const raw = await classifier.predictRaw(texts).catch((cause: unknown) => {
      if (cause instanceof ModelContractError) throw cause;
      throw new ModelContractError(`model.onnx fails on the test texts in onnxruntime: ${ortReason(cause)}`, {
        cause,
      });
    });
    const known = new Set(classes);
    const k = classes.length;
    for (let i = 0; i < texts.length; i++) {
      const label = raw.labels[i] as string;
      if (!known.has(label)) {
        throw new ModelContractError(
          `model.onnx labels test text ${i + 1} ${JSON.stringify(label)}, which is not one of its ${CLASSES_METADATA_KEY} (${classes.map((c) => JSON.stringify(c)).join(', ')}); slipway needs every label to be one of them`,
        );
      }
      const row = raw.probabilities.subarray(i * k, (i + 1) * k);
      const sum = row.reduce((a, b) => a + b, 0);
      if (
        !row.every((p) => Number.isFinite(p) && p >= -1e-6 && p <= 1 + 1e-6) ||
        Math.abs(sum - 1) > ROW_SUM_TOLERANCE
      ) {
        throw new ModelContractError(
          `model.onnx gives test text ${i + 1} probabilities [${Array.from(row, (p) => p.toPrecision(4)).join(', ')}] (sum ${sum.toPrecision(6)}); slipway needs each row to be probabilities in [0, 1] that sum to 1 (within ${ROW_SUM_TOLERANCE}): end the graph with Softmax`,
        );
      }
    }
    return classifier;
  } catch (error) {
    await classifier.close();
    throw error;
  }
}
