import { STORE_NAME, STORE_NAME_RULE } from '@slipway/contracts';
import { z } from 'zod';
import { InvalidEventError } from './errors.js';

/**
 * Validates an event against a step's schema; a bad one becomes InvalidEventError listing every problem.
 * Messages name paths and expected types only, never the values: events can carry task tokens.
 */
export function parseEvent<S extends z.ZodType>(step: string, schema: S, event: unknown): z.output<S> {
  const result = schema.safeParse(event);
  if (result.success) return result.data;
  throw new InvalidEventError(
    step,
    result.error.issues.map((issue) => ({
      path: issue.path.length === 0 ? '(event)' : issue.path.map(String).join('.'),
      message: issue.message,
    })),
  );
}

// Shared field rules. Names are checked again by the store with its own messages; these catch the
// shape early so a wrong Payload is reported as one list of problems.

/** A model or dataset name as the store accepts it. */
export const nameField = z.string().regex(STORE_NAME, STORE_NAME_RULE);

/** A Step Functions execution ARN or a local execution id. */
export const executionIdField = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,255}$/,
    'expected an execution ARN or id (letters, digits, ".", "_", ":", "-")',
  );

/** A registered version number. */
export const versionField = z.number().int().min(1);

/** A dataset version in the store. */
export const datasetField = z.object({
  name: nameField,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
});

/** A labelled text, as the evaluation picks them for the smoke test. */
export const sampleField = z.object({ text: z.string(), label: z.string() });
