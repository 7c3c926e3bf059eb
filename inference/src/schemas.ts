import * as z from 'zod';
import type { InferenceLimits } from './limits.js';

/**
 * The wire schemas of the inference API, built for a set of limits. The same objects validate
 * requests at the boundary and generate the OpenAPI document, so the two cannot drift apart.
 */
export interface ApiSchemas {
  readonly predictSingle: z.ZodType<{ text: string }>;
  readonly predictBatch: z.ZodType<{ texts: string[] }>;
  readonly predictRequest: z.ZodType;
  readonly predictResponse: z.ZodType;
  readonly legacyRequest: z.ZodType<{ text: string } & Record<string, unknown>>;
  readonly legacyResponse: z.ZodType;
  readonly health: z.ZodType;
  readonly error: z.ZodType;
}

/** Error codes a client can branch on; every rejection carries one. */
export const errorCodes = [
  'invalid_json',
  'invalid_request',
  'text_too_long',
  'batch_too_large',
  'payload_too_large',
  'unsupported_media_type',
  'not_found',
  'method_not_allowed',
  'model_unavailable',
  'internal_error',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** Builds the schemas for the given limits. */
export function buildSchemas(limits: InferenceLimits): ApiSchemas {
  const text = z
    .string()
    .max(limits.maxTextChars)
    .meta({ description: `A text to classify, at most ${limits.maxTextChars} characters.` });
  const predictSingle = z
    .strictObject({ text })
    .meta({ title: 'PredictOne', examples: [{ text: 'The battery lasts for days, I love it.' }] });
  const predictBatch = z.strictObject({ texts: z.array(text).max(limits.maxBatchSize) }).meta({
    title: 'PredictBatch',
    description: `Up to ${limits.maxBatchSize} texts, answered in the same order. An empty list gets an empty list.`,
    examples: [{ texts: ['Great value.', 'It broke after a week.'] }],
  });
  const modelInfo = z
    .object({
      name: z.string(),
      version: z.number().int().nullable().meta({ description: 'Store version; null for a plain folder.' }),
    })
    .meta({ title: 'ModelInfo' });
  const prediction = z
    .object({
      label: z.string().meta({ description: 'The most probable class.' }),
      probabilities: z
        .record(z.string(), z.number().min(0).max(1))
        .meta({ description: 'Every class with its probability; they sum to 1.' }),
    })
    .meta({ title: 'Prediction' });
  return {
    predictSingle,
    predictBatch,
    predictRequest: z.union([predictSingle, predictBatch]).meta({ title: 'PredictRequest' }),
    predictResponse: z
      .object({ model: modelInfo, predictions: z.array(prediction) })
      .meta({ title: 'PredictResponse' }),
    legacyRequest: z.looseObject({ text }).meta({
      title: 'LegacyRequest',
      description: 'The original service contract; other fields are accepted and echoed back.',
      examples: [{ text: 'Not worth the money.' }],
    }),
    legacyResponse: z
      .object({
        response: z.string().meta({ description: 'The predicted label.' }),
        request: z.looseObject({ text: z.string() }).meta({ description: 'The request body, echoed.' }),
      })
      .meta({ title: 'LegacyResponse' }),
    health: z.object({ status: z.literal('ok'), model: modelInfo }).meta({ title: 'Health' }),
    error: z
      .object({
        error: z.object({
          code: z.enum(errorCodes),
          message: z.string().meta({ description: 'What went wrong and how to fix the request.' }),
        }),
      })
      .meta({ title: 'Error' }),
  };
}
