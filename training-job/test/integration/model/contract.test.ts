import { checkModelContract, ModelContractError } from '@slipway/training-job';
import { describe, expect, test } from 'vitest';
import { handModel } from '../../helpers/contract-models.js';

const texts = ['a fine film', 'dull', '', 'ΟΔΥΣΣΕΥΣ'];

async function refusal(bytes: Uint8Array): Promise<ModelContractError> {
  const error = await checkModelContract(bytes, texts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelContractError);
  return error as ModelContractError;
}

describe('the model contract, checked in onnxruntime', () => {
  test('a hand-written graph that follows it passes, with its classes from metadata_props', async () => {
    const classifier = await checkModelContract(handModel(), texts);
    try {
      expect(classifier.classes).toEqual(['negative', 'positive']);
      const raw = await classifier.predictRaw(['x', 'y']);
      expect(raw.labels).toEqual(['positive', 'positive']);
      const e = Math.exp(1);
      expect(raw.probabilities[1]).toBeCloseTo(e / (1 + e), 6);
    } finally {
      await classifier.close();
    }
  });

  test('a token-id input is refused, naming what the file has and what slipway needs', async () => {
    const error = await refusal(handModel({ tokenIds: true }));
    expect(error.message).toBe(
      'model.onnx has input input_ids: int64[N,128]; slipway needs text: string[N] (N: any batch size)',
    );
    expect(error.name).toBe('ModelContractError');
  });

  test('an input by another name is refused', async () => {
    const error = await refusal(handModel({ inputName: 'sentence' }));
    expect(error.message).toContain(
      'model.onnx has input sentence: string[N]; slipway needs text: string[N]',
    );
  });

  test("skl2onnx's output names are refused, naming both outputs", async () => {
    const error = await refusal(
      handModel({ labelName: 'output_label', probabilitiesName: 'output_probability' }),
    );
    expect(error.message).toBe(
      'model.onnx has outputs output_label: string[N], output_probability: float32[N,2]; slipway needs label: string[N] and probabilities: float32[N,2] (2 classes in slipway.classes)',
    );
  });

  test('no class names in metadata_props is refused, listing the keys found', async () => {
    const error = await refusal(handModel({ metadata: { producer: 'me' } }));
    expect(error.message).toMatch(
      /^model.onnx has no metadata_props key slipway.classes \(it has producer\)/,
    );
  });

  test('class names that are not a JSON array of distinct strings are refused', async () => {
    for (const value of ['negative,positive', '["a"]', '["a","a"]', '[1,2]']) {
      const error = await refusal(handModel({ metadata: { 'slipway.classes': value } }));
      expect(error.message).toContain(`slipway.classes = ${value}; slipway needs a JSON array`);
    }
  });

  test('more probability columns than declared classes is refused', async () => {
    const error = await refusal(
      handModel({ graphClasses: ['a', 'b', 'c'], metadata: { 'slipway.classes': '["a","b"]' } }),
    );
    expect(error.message).toContain(
      'probabilities: float32[N,3]; slipway needs label: string[N] and probabilities: float32[N,2]',
    );
  });

  test('a label outside the declared classes is refused', async () => {
    const error = await refusal(
      handModel({ graphClasses: ['neg', 'pos'], metadata: { 'slipway.classes': '["negative","positive"]' } }),
    );
    expect(error.message).toBe(
      'model.onnx labels test text 1 "pos", which is not one of its slipway.classes ("negative", "positive"); slipway needs every label to be one of them',
    );
  });

  test('scores that are not probabilities are refused', async () => {
    const error = await refusal(handModel({ graphClasses: ['a', 'b', 'c'], noSoftmax: true }));
    expect(error.message).toContain(
      'model.onnx gives test text 1 probabilities [0.000, 1.000, 2.000] (sum 3.00000)',
    );
  });

  test('bytes that are not a model are refused', async () => {
    const error = await refusal(new TextEncoder().encode('not a model at all'));
    expect(error.message).toMatch(/^model.onnx is not an ONNX model|^model.onnx has no metadata_props/);
  });
});
