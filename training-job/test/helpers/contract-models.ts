import { AttributeType, DataType, encodeModel, type Node, type ValueInfo } from '../../src/onnx/proto.js';

const utf8 = new TextEncoder();

function info(name: string, elemType: number, dims: (number | string)[]): ValueInfo {
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

export interface HandModel {
  /** Graph class names (what label gives); default ['negative', 'positive']. */
  readonly graphClasses?: readonly string[];
  /** `metadata_props`; default slipway.classes = graphClasses. null: none. */
  readonly metadata?: Record<string, string> | null;
  readonly inputName?: string;
  readonly labelName?: string;
  readonly probabilitiesName?: string;
  /** Leave out the Softmax: probabilities are raw scores. */
  readonly noSoftmax?: boolean;
  /** An input `input_ids: int64[N,128]` instead of text. */
  readonly tokenIds?: boolean;
}

/**
 * The smallest model that follows slipway's model contract, written by hand: every text gets the same
 * scores (0, 1, 2, …), so probabilities are softmax of those and the label is the last class. Options
 * break one rule at a time.
 */
export function handModel(options: HandModel = {}): Uint8Array {
  const classes = options.graphClasses ?? ['negative', 'positive'];
  const input = options.inputName ?? 'text';
  const label = options.labelName ?? 'label';
  const probabilities = options.probabilitiesName ?? 'probabilities';
  const metadata =
    options.metadata === null ? {} : (options.metadata ?? { 'slipway.classes': JSON.stringify(classes) });
  const nodes: Node[] = [
    {
      name: 'shape',
      op_type: 'Shape',
      input: [options.tokenIds ? 'input_ids' : input],
      output: ['shape'],
      attribute: [],
    },
    {
      name: 'batch',
      op_type: 'Slice',
      input: ['shape', 'zero', 'one'],
      output: ['batch'],
      attribute: [],
    },
    {
      name: 'ones_shape',
      op_type: 'Concat',
      input: ['batch', 'one'],
      output: ['ones_shape'],
      attribute: [{ name: 'axis', type: AttributeType.INT, i: 0 }],
    },
    {
      name: 'ones',
      op_type: 'ConstantOfShape',
      input: ['ones_shape'],
      output: ['ones'],
      attribute: [
        {
          name: 'value',
          type: AttributeType.TENSOR,
          t: {
            name: 'v',
            dims: [1],
            data_type: DataType.FLOAT,
            raw_data: new Uint8Array(new Float32Array([1]).buffer),
          },
        },
      ],
    },
    { name: 'scores', op_type: 'Mul', input: ['ones', 'row_scores'], output: ['scores'], attribute: [] },
    options.noSoftmax
      ? { name: 'probs', op_type: 'Identity', input: ['scores'], output: [probabilities], attribute: [] }
      : {
          name: 'probs',
          op_type: 'Softmax',
          input: ['scores'],
          output: [probabilities],
          attribute: [{ name: 'axis', type: AttributeType.INT, i: 1 }],
        },
    {
      name: 'best',
      op_type: 'ArgMax',
      input: ['scores'],
      output: ['best'],
      attribute: [
        { name: 'axis', type: AttributeType.INT, i: 1 },
        { name: 'keepdims', type: AttributeType.INT, i: 0 },
      ],
    },
    {
      name: 'label',
      op_type: 'Gather',
      input: ['class_names', 'best'],
      output: [label],
      attribute: [{ name: 'axis', type: AttributeType.INT, i: 0 }],
    },
  ];
  const int64 = (values: number[]) => new Uint8Array(BigInt64Array.from(values, BigInt).buffer);
  return encodeModel({
    ir_version: 8,
    opset_import: [{ domain: '', version: 17 }],
    producer_name: 'slipway-test',
    producer_version: '0',
    graph: {
      name: 'hand',
      node: nodes,
      initializer: [
        { name: 'zero', dims: [1], data_type: DataType.INT64, raw_data: int64([0]) },
        { name: 'one', dims: [1], data_type: DataType.INT64, raw_data: int64([1]) },
        {
          name: 'row_scores',
          dims: [1, classes.length],
          data_type: DataType.FLOAT,
          raw_data: new Uint8Array(Float32Array.from(classes, (_, i) => i).buffer),
        },
        {
          name: 'class_names',
          dims: [classes.length],
          data_type: DataType.STRING,
          string_data: classes.map((c) => utf8.encode(c)),
        },
      ],
      input: [
        options.tokenIds
          ? info('input_ids', DataType.INT64, ['N', 128])
          : info(input, DataType.STRING, ['N']),
      ],
      output: [
        info(label, DataType.STRING, ['N']),
        info(probabilities, DataType.FLOAT, ['N', classes.length]),
      ],
    },
    metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
}
