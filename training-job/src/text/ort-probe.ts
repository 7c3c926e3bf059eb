import * as ort from 'onnxruntime-node';
import { AttributeType, DataType, encodeModel, type Node, type ValueInfo } from '../onnx/proto.js';
import { TOKEN_PATTERN } from './preprocess.js';

/**
 * Runs onnxruntime's own StringNormalizer and Tokenizer over every Unicode scalar value, so the
 * reference's Unicode tables can be derived from (and checked against) the runtime that serves models.
 * Used by `scripts/unicode-compat.ts` and by the exhaustive parity test.
 */
export async function probeOrtUnicode(): Promise<{ lower: Map<number, number>; nonToken: number[] }> {
  const utf8 = new TextEncoder();
  const info = (name: string, dims: string[]): ValueInfo => ({
    name,
    type: {
      tensor_type: { elem_type: DataType.STRING, shape: { dim: dims.map((d) => ({ dim_param: d })) } },
    },
  });
  const graph = (node: Node, output: ValueInfo) =>
    encodeModel({
      ir_version: 8,
      opset_import: [
        { domain: '', version: 17 },
        { domain: 'com.microsoft', version: 1 },
      ],
      producer_name: 'slipway-probe',
      producer_version: '1',
      graph: { name: 'probe', node: [node], initializer: [], input: [info('text', ['N'])], output: [output] },
      metadata_props: [],
    });
  const normalizer = await ort.InferenceSession.create(
    graph(
      {
        name: 'n',
        op_type: 'StringNormalizer',
        input: ['text'],
        output: ['out'],
        attribute: [
          { name: 'case_change_action', type: AttributeType.STRING, s: utf8.encode('LOWER') },
          { name: 'locale', type: AttributeType.STRING, s: utf8.encode('C.UTF-8') },
        ],
      },
      info('out', ['N']),
    ),
  );
  const tokenizer = await ort.InferenceSession.create(
    graph(
      {
        name: 't',
        op_type: 'Tokenizer',
        domain: 'com.microsoft',
        input: ['text'],
        output: ['out'],
        attribute: [
          { name: 'mark', type: AttributeType.INT, i: 0 },
          { name: 'mincharnum', type: AttributeType.INT, i: 1 },
          { name: 'pad_value', type: AttributeType.STRING, s: utf8.encode('<pad>') },
          { name: 'tokenexp', type: AttributeType.STRING, s: utf8.encode(TOKEN_PATTERN.char) },
        ],
      },
      info('out', ['N', 'T']),
    ),
  );
  const lower = new Map<number, number>();
  const nonToken: number[] = [];
  const batchSize = 65_536;
  try {
    for (let start = 1; start <= 0x10ffff; start += batchSize) {
      const cps: number[] = [];
      for (let cp = start; cp < start + batchSize && cp <= 0x10ffff; cp++) {
        if (cp < 0xd800 || cp > 0xdfff) cps.push(cp);
      }
      const texts = cps.map((cp) => String.fromCodePoint(cp));
      const input = { text: new ort.Tensor('string', texts, [texts.length]) };
      const lowered = (await normalizer.run(input)).out?.data as string[];
      const tokens = (await tokenizer.run(input)).out;
      const width = tokens?.dims[1] ?? 0;
      const tokenData = tokens?.data as string[];
      cps.forEach((cp, i) => {
        const l = lowered[i]?.codePointAt(0);
        if (l !== undefined && l !== cp) lower.set(cp, l);
        if (width === 0 || tokenData[i * width] === '<pad>') nonToken.push(cp);
      });
    }
  } finally {
    await normalizer.release();
    await tokenizer.release();
  }
  return { lower, nonToken };
}
