import { type Analyzer, NGRAM_JOINER, TOKEN_PATTERN } from '../text/preprocess.js';
import {
  type Attribute,
  AttributeType,
  DataType,
  encodeModel,
  type Model,
  type Node,
  type ValueInfo,
} from './proto.js';

/** Everything the exported graph (and the TypeScript reference) needs to classify a text. */
export interface TextModel {
  readonly analyzer: Analyzer;
  readonly ngramRange: readonly [number, number];
  readonly sublinearTf: boolean;
  /** Feature j's n-gram: its tokens joined with NGRAM_JOINER. Sorted by n-gram length, then by string. */
  readonly vocabulary: readonly string[];
  readonly idf: Float32Array;
  readonly classes: readonly string[];
  /** classes × features, row-major by class. */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

/** Token the Tokenizer pads short rows with; longer than any char token and never a word token. */
const PAD = '<pad>';
const utf8 = new TextEncoder();

const attr = {
  int: (name: string, i: number): Attribute => ({ name, type: AttributeType.INT, i }),
  float: (name: string, f: number): Attribute => ({ name, type: AttributeType.FLOAT, f }),
  string: (name: string, s: string): Attribute => ({ name, type: AttributeType.STRING, s: utf8.encode(s) }),
  ints: (name: string, ints: number[]): Attribute => ({ name, type: AttributeType.INTS, ints }),
  floats: (name: string, floats: Float32Array): Attribute => ({ name, type: AttributeType.FLOATS, floats }),
  strings: (name: string, strings: readonly string[]): Attribute => ({
    name,
    type: AttributeType.STRINGS,
    strings: strings.map((s) => utf8.encode(s)),
  }),
};

function node(op_type: string, input: string[], output: string[], attribute: Attribute[], domain = ''): Node {
  return { name: output[0] ?? op_type, op_type, domain, input, output, attribute };
}

function tensorInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfo {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

function floatTensor(name: string, values: Float32Array, dims: number[]) {
  const raw = new Uint8Array(values.byteLength);
  raw.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return { name, dims, data_type: DataType.FLOAT, raw_data: raw };
}

/**
 * TfIdfVectorizer's pool: all n-grams of length 1 first, then 2, … up to maxN, each length's n-grams
 * flattened token by token; `ngram_counts[n - 1]` is where length n starts in the pool. The counts
 * always start at length 1, whatever `min_gram_length` is: lengths below minN hold no n-gram, so
 * their entries repeat the start of the first kept length.
 */
function ngramPool(model: TextModel) {
  const [minN, maxN] = model.ngramRange;
  const pool: string[] = [];
  const counts: number[] = [];
  const indexes: number[] = [];
  let feature = 0;
  for (let n = 1; n <= maxN; n++) {
    counts.push(pool.length);
    if (n < minN) continue;
    while (feature < model.vocabulary.length) {
      const tokens = (model.vocabulary[feature] as string).split(NGRAM_JOINER);
      if (tokens.length !== n) break;
      pool.push(...tokens);
      indexes.push(feature);
      feature++;
    }
  }
  if (feature !== model.vocabulary.length) {
    throw new Error('vocabulary must be sorted by n-gram length within the n-gram range');
  }
  return { pool, counts, indexes };
}

/** Metadata stored in the model file: enough to rebuild the reference and to explain the file. */
export function modelMetadata(model: TextModel, extra: Record<string, string>): Record<string, string> {
  return {
    ...extra,
    'slipway.classes': JSON.stringify(model.classes),
    'slipway.analyzer': model.analyzer,
    'slipway.ngram_range': JSON.stringify(model.ngramRange),
    'slipway.sublinear_tf': String(model.sublinearTf),
    'slipway.lowercase': 'towlower (StringNormalizer LOWER, locale C.UTF-8)',
    'slipway.token_pattern': TOKEN_PATTERN[model.analyzer],
    'slipway.features': String(model.vocabulary.length),
  };
}

/**
 * Builds the one ONNX graph holding preprocessing and classifier:
 * StringNormalizer → Tokenizer → TfIdfVectorizer (counts) → [1 + log tf] → × idf → Normalizer(L2)
 * → LinearClassifier(softmax). Input `text: string[N]`; outputs `label: string[N]`,
 * `probabilities: float[N, C]`.
 */
export function buildOnnxModel(
  model: TextModel,
  metadata: Record<string, string>,
  producerVersion: string,
): Uint8Array {
  const features = model.vocabulary.length;
  const classes = model.classes.length;
  const { pool, counts, indexes } = ngramPool(model);
  const nodes: Node[] = [
    node(
      'StringNormalizer',
      ['text'],
      ['normalized'],
      [
        attr.string('case_change_action', 'LOWER'),
        attr.int('is_case_sensitive', 1),
        attr.string('locale', 'C.UTF-8'),
      ],
    ),
    node(
      'Tokenizer',
      ['normalized'],
      ['tokens'],
      [
        attr.int('mark', 0),
        attr.int('mincharnum', 1),
        attr.string('pad_value', PAD),
        attr.string('tokenexp', TOKEN_PATTERN[model.analyzer]),
      ],
      'com.microsoft',
    ),
    node(
      'TfIdfVectorizer',
      ['tokens'],
      ['tf'],
      [
        attr.int('max_gram_length', model.ngramRange[1]),
        attr.int('min_gram_length', model.ngramRange[0]),
        attr.int('max_skip_count', 0),
        attr.string('mode', 'TF'),
        attr.ints('ngram_counts', counts),
        attr.ints('ngram_indexes', indexes),
        attr.strings('pool_strings', pool),
      ],
    ),
  ];
  let weighted = 'tf';
  if (model.sublinearTf) {
    // 1 + ln(tf) for tf ≥ 1 and 0 for tf = 0, written as ln(max(tf, 1)) + min(tf, 1) (counts are integers).
    nodes.push(
      node('Max', ['tf', 'one'], ['tf_at_least_1'], []),
      node('Log', ['tf_at_least_1'], ['log_tf'], []),
      node('Min', ['tf', 'one'], ['tf_present'], []),
      node('Add', ['log_tf', 'tf_present'], ['sublinear_tf'], []),
    );
    weighted = 'sublinear_tf';
  }
  nodes.push(
    node('Mul', [weighted, 'idf'], ['tfidf'], []),
    node('Normalizer', ['tfidf'], ['features'], [attr.string('norm', 'L2')], 'ai.onnx.ml'),
    node(
      'LinearClassifier',
      ['features'],
      ['label', 'probabilities'],
      [
        attr.strings('classlabels_strings', model.classes),
        attr.floats('coefficients', model.weights),
        attr.floats('intercepts', model.bias),
        attr.int('multi_class', 1),
        attr.string('post_transform', 'SOFTMAX'),
      ],
      'ai.onnx.ml',
    ),
  );
  const onnx: Model = {
    ir_version: 8,
    opset_import: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
      { domain: 'com.microsoft', version: 1 },
    ],
    producer_name: 'slipway',
    producer_version: producerVersion,
    graph: {
      name: 'slipway_text_classifier',
      node: nodes,
      initializer: [
        ...(model.sublinearTf ? [floatTensor('one', new Float32Array([1]), [])] : []),
        floatTensor('idf', model.idf, [features]),
      ],
      input: [tensorInfo('text', DataType.STRING, ['N'])],
      output: [
        tensorInfo('label', DataType.STRING, ['N']),
        tensorInfo('probabilities', DataType.FLOAT, ['N', classes]),
      ],
    },
    metadata_props: Object.entries(metadata)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),
  };
  return encodeModel(onnx);
}
