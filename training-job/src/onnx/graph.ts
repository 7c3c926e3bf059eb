import { type Analyzer, NGRAM_JOINER, TOKEN_PATTERN } from '../text/preprocess.js';
import {
  type Attribute,
  AttributeType,
  DataType,
  encodeModel,
  type Model,
  type Node,
  type Tensor,
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
  string: (name: string, s: string): Attribute => ({ name, type: AttributeType.STRING, s: utf8.encode(s) }),
  ints: (name: string, ints: number[]): Attribute => ({ name, type: AttributeType.INTS, ints }),
  strings: (name: string, strings: readonly string[]): Attribute => ({
    name,
    type: AttributeType.STRINGS,
    strings: strings.map((s) => utf8.encode(s)),
  }),
};

function node(
  op_type: string,
  input: string[],
  output: string[],
  attribute: Attribute[] = [],
  domain = '',
): Node {
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

function floatTensor(name: string, values: Float32Array, dims: number[]): Tensor {
  const raw = new Uint8Array(values.byteLength);
  raw.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return { name, dims, data_type: DataType.FLOAT, raw_data: raw };
}

function int64Tensor(name: string, values: readonly (number | bigint)[], dims: number[]): Tensor {
  const array = BigInt64Array.from(values, (v) => BigInt(v));
  return { name, dims, data_type: DataType.INT64, raw_data: new Uint8Array(array.buffer) };
}

function stringTensor(name: string, values: readonly string[]): Tensor {
  return {
    name,
    dims: [values.length],
    data_type: DataType.STRING,
    string_data: values.map((v) => utf8.encode(v)),
  };
}

/**
 * The kept n-grams as a trie of integer ids, which is what lets the graph find a text's n-grams
 * without ever touching the rest of the vocabulary. Tokens get ids 1..V (0: not a token of any kept
 * n-gram, or padding); a token is also the id of its one-token prefix. An n-gram of length k ≥ 2 is
 * the node reached from its (k−1)-token prefix's node p by its last token t, looked up by the key
 * p·(V+1) + t. Keys stay far below 2^53 (nodes × tokens), whatever the n-gram length, and a key
 * with an unknown prefix or token (id 0) can never equal a real one, so unknowns map to node 0.
 */
interface NgramTrie {
  /** tokens[i] has id i + 1. */
  readonly tokens: readonly string[];
  /** For lengths 2..maxN: the keys of that level's nodes and the node ids they map to. */
  readonly levels: readonly { readonly keys: number[]; readonly nodes: number[] }[];
  /** Node ids 0..nodeCount−1 (node 0 is "none"). */
  readonly nodeCount: number;
  /** The node of feature j. */
  readonly featureNode: Int32Array;
}

function buildTrie(model: TextModel): NgramTrie {
  const [, maxN] = model.ngramRange;
  const tokenId = new Map<string, number>();
  const split = model.vocabulary.map((ngram) => ngram.split(NGRAM_JOINER));
  for (const tokens of split) {
    for (const token of tokens) if (!tokenId.has(token)) tokenId.set(token, tokenId.size + 1);
  }
  const radix = tokenId.size + 1;
  const levels = Array.from({ length: Math.max(0, maxN - 1) }, () => ({
    keys: [] as number[],
    nodes: [] as number[],
    index: new Map<number, number>(),
  }));
  let nodeCount = radix;
  const featureNode = new Int32Array(split.length);
  split.forEach((tokens, j) => {
    let current = tokenId.get(tokens[0] as string) as number;
    for (let k = 1; k < tokens.length; k++) {
      const level = levels[k - 1] as (typeof levels)[number];
      const key = current * radix + (tokenId.get(tokens[k] as string) as number);
      let next = level.index.get(key);
      if (next === undefined) {
        next = nodeCount++;
        level.index.set(key, next);
        level.keys.push(key);
        level.nodes.push(next);
      }
      current = next;
    }
    featureNode[j] = current;
  });
  if (nodeCount * radix >= Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`${nodeCount} n-gram prefixes × ${radix} tokens overflow the graph's int64 keys`);
  }
  return {
    tokens: [...tokenId.keys()],
    levels: levels.map(({ keys, nodes }) => ({ keys, nodes })),
    nodeCount,
    featureNode,
  };
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

/** The largest int64, as Slice's "to the end". */
const INT64_MAX = 9_223_372_036_854_775_807n;

/**
 * Builds the one ONNX graph holding preprocessing and classifier, in standard operators (plus the
 * com.microsoft Tokenizer), at a cost that follows the n-grams in the texts, never the vocabulary:
 *
 * StringNormalizer → Tokenizer → token ids (LabelEncoder) → for each length k ≥ 2, n-gram node ids
 * from the (k−1)-gram's node and the k-th token (Slice, Mul, Add, LabelEncoder int64 → int64) → one
 * key per (text, node), unknown ones dropped (Compress) → sorted (TopK) and counted by runs of equal
 * keys (Equal, Not, NonZero, Sub: each text's term frequencies, as Unique(sorted=1) would give them)
 * → [1 + ln tf] × idf
 * (Gather) → per-text L2 norm (ScatterElements add) → weight rows of those nodes (Gather) × value →
 * per-text class scores (ScatterND add) + bias → Softmax, ArgMax → label.
 *
 * Input `text: string[N]`; outputs `label: string[N]`, `probabilities: float[N, C]`.
 */
export function buildOnnxModel(
  model: TextModel,
  metadata: Record<string, string>,
  producerVersion: string,
): Uint8Array {
  const [minN, maxN] = model.ngramRange;
  const features = model.vocabulary.length;
  const classes = model.classes.length;
  const trie = buildTrie(model);
  const radix = trie.tokens.length + 1;
  const stride = trie.nodeCount;

  // Parameters indexed by node; nodes that are only prefixes (and node 0) have idf 0 and zero weights,
  // so they add nothing to the norm or the scores.
  const idf = new Float32Array(stride);
  const weights = new Float32Array(stride * classes);
  for (let j = 0; j < features; j++) {
    const n = trie.featureNode[j] as number;
    idf[n] = model.idf[j] as number;
    for (let c = 0; c < classes; c++) weights[n * classes + c] = model.weights[c * features + j] as number;
  }

  const initializers: Tensor[] = [
    floatTensor('idf', idf, [stride]),
    floatTensor('weights', weights, [stride, classes]),
    floatTensor('bias', model.bias, [classes]),
    stringTensor('class_names', model.classes),
    int64Tensor('zero', [0], []),
    int64Tensor('one_i', [1], []),
    int64Tensor('axis1', [1], [1]),
    int64Tensor('flat', [-1], [1]),
    int64Tensor('class_count', [classes], [1]),
    int64Tensor('stride', [stride], []),
    floatTensor('tiny', new Float32Array([1e-30]), []),
    int64Tensor('zero_1', [0], [1]),
    int64Tensor('one_1', [1], [1]),
    int64Tensor('minus_one_1', [-1], [1]),
    int64Tensor('all_but_last', [-1], [1]),
    int64Tensor('to_end', [INT64_MAX], [1]),
  ];
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
      'LabelEncoder',
      ['tokens'],
      ['nodes_1'],
      [
        attr.strings('keys_strings', trie.tokens),
        attr.ints(
          'values_int64s',
          trie.tokens.map((_, i) => i + 1),
        ),
        attr.int('default_int64', 0),
      ],
      'ai.onnx.ml',
    ),
  ];
  if (maxN >= 2) {
    initializers.push(int64Tensor('radix', [radix], []));
  }
  for (let k = 2; k <= maxN; k++) {
    const level = trie.levels[k - 2] as NgramTrie['levels'][number];
    initializers.push(int64Tensor(`from_${k}`, [k - 1], [1]));
    nodes.push(
      // The (k−1)-grams that have a next token, and that next token.
      node('Slice', [`nodes_${k - 1}`, 'zero_1', 'all_but_last', 'axis1'], [`prefix_${k}`]),
      node('Slice', ['nodes_1', `from_${k}`, 'to_end', 'axis1'], [`last_${k}`]),
      node('Mul', [`prefix_${k}`, 'radix'], [`prefix_scaled_${k}`]),
      node('Add', [`prefix_scaled_${k}`, `last_${k}`], [`key_${k}`]),
      node(
        'LabelEncoder',
        [`key_${k}`],
        [`nodes_${k}`],
        [
          attr.ints('keys_int64s', level.keys),
          attr.ints('values_int64s', level.nodes),
          attr.int('default_int64', 0),
        ],
        'ai.onnx.ml',
      ),
    );
  }

  // One key per (text, node) occurrence: row · stride + node.
  nodes.push(
    node('Shape', ['text'], ['batch_shape']),
    node('Squeeze', ['batch_shape'], ['batch']),
    node('Range', ['zero', 'batch', 'one_i'], ['row_numbers']),
    node('Unsqueeze', ['row_numbers', 'axis1'], ['row_column']),
    node('Mul', ['row_column', 'stride'], ['row_base']),
  );
  const flat: string[] = [];
  for (let k = minN; k <= maxN; k++) {
    nodes.push(
      node('Add', [`nodes_${k}`, 'row_base'], [`keyed_${k}`]),
      node('Reshape', [`keyed_${k}`, 'flat'], [`flat_${k}`]),
    );
    flat.push(`flat_${k}`);
  }
  if (flat.length > 1) nodes.push(node('Concat', flat, ['occurrences'], [attr.int('axis', 0)]));
  const occurrences = flat.length > 1 ? 'occurrences' : (flat[0] as string);

  // Padding and n-grams outside the vocabulary (node 0) are most positions: drop them before counting
  // (Unique costs more per element than the filter).
  nodes.push(
    node('Mod', [occurrences, 'stride'], ['occurrence_node']),
    node('Greater', ['occurrence_node', 'zero'], ['is_known']),
    node('Compress', [occurrences, 'is_known'], ['known'], [attr.int('axis', 0)]),
    // Unique(sorted=1) written as a sort and a run-length count: the distinct keys ascending, so the
    // sums below run in the same order on every runtime, and how often each occurs. onnxruntime's
    // Unique builds a std::map node per element; TopK sorts in place.
    node('Shape', ['known'], ['known_count']),
    node(
      'TopK',
      ['known', 'known_count'],
      ['ascending', 'ascending_from'],
      [attr.int('largest', 0), attr.int('sorted', 1)],
    ),
    // A run starts where a key differs from the one before it (-1 is below every key).
    node('Slice', ['ascending', 'zero_1', 'all_but_last', 'zero_1'], ['before_last']),
    node('Concat', ['minus_one_1', 'before_last'], ['previous'], [attr.int('axis', 0)]),
    node('Equal', ['ascending', 'previous'], ['repeats']),
    node('Not', ['repeats'], ['run_starts_mask']),
    node('NonZero', ['run_starts_mask'], ['run_starts_2d']),
    node('Reshape', ['run_starts_2d', 'flat'], ['run_starts']),
    node('Gather', ['ascending', 'run_starts'], ['distinct'], [attr.int('axis', 0)]),
    // Each run's length: the next run's start (the element count for the last) minus its own.
    node('Slice', ['run_starts', 'one_1', 'to_end', 'zero_1'], ['next_starts']),
    node('Concat', ['next_starts', 'known_count'], ['run_ends'], [attr.int('axis', 0)]),
    node('Sub', ['run_ends', 'run_starts'], ['counts']),
    node('Div', ['distinct', 'stride'], ['row']),
    node('Mod', ['distinct', 'stride'], ['ngram']),
    node('Cast', ['counts'], ['tf'], [attr.int('to', DataType.FLOAT)]),
  );
  let weighted = 'tf';
  if (model.sublinearTf) {
    // Every count here is at least 1 (each run has at least one element), so 1 + ln(tf) needs no guard.
    initializers.push(floatTensor('one', new Float32Array([1]), []));
    nodes.push(node('Log', ['tf'], ['log_tf']), node('Add', ['log_tf', 'one'], ['sublinear_tf']));
    weighted = 'sublinear_tf';
  }
  nodes.push(
    node('Gather', ['idf', 'ngram'], ['ngram_idf'], [attr.int('axis', 0)]),
    node('Mul', [weighted, 'ngram_idf'], ['value']),
    node('Mul', ['value', 'value'], ['square']),
    node('ConstantOfShape', ['batch_shape'], ['zeros_n']),
    node(
      'ScatterElements',
      ['zeros_n', 'row', 'square'],
      ['norm_square'],
      [attr.int('axis', 0), attr.string('reduction', 'add')],
    ),
    node('Sqrt', ['norm_square'], ['norm']),
    // A text without known n-grams has norm 0 and no values to divide.
    node('Max', ['norm', 'tiny'], ['norm_safe']),
    node('Gather', ['norm_safe', 'row'], ['row_norm'], [attr.int('axis', 0)]),
    node('Div', ['value', 'row_norm'], ['normalized_value']),
    node('Unsqueeze', ['normalized_value', 'axis1'], ['value_column']),
    node('Gather', ['weights', 'ngram'], ['ngram_weights'], [attr.int('axis', 0)]),
    node('Mul', ['ngram_weights', 'value_column'], ['contributions']),
    node('Concat', ['batch_shape', 'class_count'], ['scores_shape'], [attr.int('axis', 0)]),
    node('ConstantOfShape', ['scores_shape'], ['zeros_nc']),
    node('Unsqueeze', ['row', 'axis1'], ['row_index']),
    node('ScatterND', ['zeros_nc', 'row_index', 'contributions'], ['dot'], [attr.string('reduction', 'add')]),
    node('Add', ['dot', 'bias'], ['scores']),
    node('Softmax', ['scores'], ['probabilities'], [attr.int('axis', 1)]),
    node('ArgMax', ['scores'], ['best'], [attr.int('axis', 1), attr.int('keepdims', 0)]),
    node('Gather', ['class_names', 'best'], ['label'], [attr.int('axis', 0)]),
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
      initializer: initializers,
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
