/** One text's prediction: the top label and every class's probability. */
export interface Prediction {
  readonly label: string;
  readonly probabilities: Readonly<Record<string, number>>;
}

/** A loaded text classifier (an onnxruntime session, or the pure TypeScript reference). */
export interface Classifier {
  readonly classes: readonly string[];
  /** Predicts a batch; an empty batch returns [] without touching the runtime. */
  predict(texts: readonly string[]): Promise<Prediction[]>;
  close(): Promise<void>;
}
