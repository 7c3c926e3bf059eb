import { z } from 'zod';

/**
 * `z.record(z.string(), value)` for records keyed by user data (class names, hyperparameter names).
 * zod's record drops a `"__proto__"` key; this keeps every own key and returns a null-prototype object,
 * so a class named `constructor` or `toString` reads as itself and never as an Object.prototype member.
 * @example ownRecord(z.number()).parse(JSON.parse('{"__proto__": 1}')) // { "__proto__": 1 }, own key
 */
export function ownRecord<T extends z.ZodType>(value: T) {
  return z
    .custom<object>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected an object')
    .transform((record, ctx) => {
      const out: Record<string, z.output<T>> = Object.create(null);
      for (const [key, entry] of Object.entries(record)) {
        const parsed = value.safeParse(entry);
        if (parsed.success) out[key] = parsed.data;
        else {
          for (const issue of parsed.error.issues) {
            ctx.addIssue({ code: 'custom', message: issue.message, path: [key, ...issue.path] });
          }
        }
      }
      return out;
    });
}
