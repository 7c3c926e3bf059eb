import type { TextModel } from '../onnx/graph.js';
import { countNgrams, tokenize } from '../text/preprocess.js';
import type { Classifier, Prediction } from './classifier.js';
import { type RawPredictions, toPredictions } from './onnx-classifier.js';

/**
 * The same pipeline as model.onnx, in plain TypeScript: the parity test holds the two equal, and it
 * explains the graph to anyone reading it.
 */
export class ReferenceClassifier implements Classifier {
  private readonly column: Map<string, number>;
  readonly classes: readonly string[];

  constructor(private readonly model: TextModel) {
    this.column = new Map(model.vocabulary.map((ngram, j) => [ngram, j]));
    this.classes = model.classes;
  }

  /** Class scores and softmax for one text, in float64 over the model's float32 parameters. */
  probabilities(text: string): Float64Array {
    const { model } = this;
    const features = model.vocabulary.length;
    const counts = countNgrams(tokenize(text, model.analyzer), model.ngramRange[0], model.ngramRange[1]);
    const entries: [number, number][] = [];
    let norm = 0;
    for (const [ngram, count] of counts) {
      const j = this.column.get(ngram);
      if (j === undefined) continue;
      const tf = model.sublinearTf ? 1 + Math.log(count) : count;
      const v = tf * (model.idf[j] as number);
      entries.push([j, v]);
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    const k = model.classes.length;
    const scores = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      let s = model.bias[c] as number;
      for (const [j, v] of entries)
        s += (model.weights[c * features + j] as number) * (norm > 0 ? v / norm : 0);
      scores[c] = s;
    }
    let max = Number.NEGATIVE_INFINITY;
    for (const s of scores) max = Math.max(max, s);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      scores[c] = Math.exp((scores[c] as number) - max);
      sum += scores[c] as number;
    }
    for (let c = 0; c < k; c++) scores[c] = (scores[c] as number) / sum;
    return scores;
  }

  predictRaw(texts: readonly string[]): RawPredictions {
    const k = this.classes.length;
    const probabilities = new Float32Array(texts.length * k);
    const labels = texts.map((text, i) => {
      const p = this.probabilities(text);
      let best = 0;
      for (let c = 1; c < k; c++) if ((p[c] as number) > (p[best] as number)) best = c;
      probabilities.set(p, i * k);
      return this.classes[best] as string;
    });
    return { labels, probabilities };
  }

  async predict(texts: readonly string[]): Promise<Prediction[]> {
    return toPredictions(this.classes, this.predictRaw(texts));
  }

  async close(): Promise<void> {}
}
