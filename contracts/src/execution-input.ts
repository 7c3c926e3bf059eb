/**
 * A model's name in the store and in training job names: 1-40 lowercase letters, digits and dashes,
 * starting with a letter or digit.
 * @example MODEL_NAME.test('sentiment-v2') // true
 */
export const MODEL_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
/**
 * {@link MODEL_NAME} as an HTML `pattern` attribute. Browsers compile it with the `v` flag, where a bare
 * `-` in a class is a syntax error and the whole pattern is silently ignored: so it is escaped here.
 */
export const MODEL_NAME_PATTERN = MODEL_NAME.source.slice(1, -1).replace('-]', '\\-]');
/** What to tell someone whose model name breaks {@link MODEL_NAME}. */
export const MODEL_NAME_RULE =
  'use 1-40 lowercase letters, digits and dashes, starting with a letter or digit';

/**
 * The gate's defaults, for any number of classes: beat the majority-class baseline by a fifth of the
 * way to perfect (0.6 at two balanced classes, about 0.27 at 43 classes whose largest holds 8%), and
 * lose no more than 0.01 against production. No absolute accuracy floor unless asked for.
 */
export const DEFAULT_THRESHOLDS = {
  minAccuracy: 0,
  minBaselineGain: 0.2,
  maxRegression: 0.01,
  minClassF1: 0,
} as const;
