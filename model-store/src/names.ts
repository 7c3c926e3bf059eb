import { STORE_NAME, STORE_NAME_RULE } from '@slipway/contracts';
import { InvalidNameError } from './errors.js';

const ALIAS = /^[a-z][a-z0-9_-]{0,62}$/;
const FILE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const EXECUTION = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,255}$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** Alias names the store gives a meaning of its own, so they cannot be set. */
export const RESERVED_ALIASES: readonly string[] = ['latest'];

/** Checks a model or dataset name: lowercase letters, digits, `.`, `_`, `-`; up to 128 characters. */
export function assertName(name: string, kind: 'model' | 'dataset' = 'model'): string {
  if (typeof name !== 'string' || !STORE_NAME.test(name)) {
    throw new InvalidNameError(
      `invalid ${kind} name ${JSON.stringify(name)}: ${STORE_NAME_RULE} (for example "sentiment")`,
    );
  }
  return name;
}

/** Checks an alias name: a lowercase letter, then letters, digits, `_` or `-`; not a number, not reserved. */
export function assertAlias(alias: string): string {
  if (typeof alias !== 'string' || !ALIAS.test(alias) || RESERVED_ALIASES.includes(alias)) {
    throw new InvalidNameError(
      `invalid alias name ${JSON.stringify(alias)}: use a lowercase letter followed by up to 62 letters, digits, ` +
        `"_" or "-" (for example "production", "staging", "candidate"); ${RESERVED_ALIASES.map((a) => `"${a}"`).join(', ')} is reserved`,
    );
  }
  return alias;
}

/** Checks a version number: a positive safe integer. */
export function assertVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new InvalidNameError(`invalid version ${JSON.stringify(version)}: versions are integers from 1 up`);
  }
  return version;
}

/** Checks a file name inside a version or dataset: `/`-separated segments without `..`, not absolute. */
export function assertFileName(file: string): string {
  const segments = typeof file === 'string' ? file.split('/') : [];
  if (segments.length === 0 || segments.length > 8 || !segments.every((s) => FILE_SEGMENT.test(s))) {
    throw new InvalidNameError(
      `invalid file name ${JSON.stringify(file)}: use "/"-separated segments of letters, digits, ".", "_" or "-" ` +
        '(for example "model.onnx" or "reports/evaluation.json"), no leading dot, no ".."',
    );
  }
  return file;
}

/** Checks an execution id (a Step Functions execution ARN or a local id). */
export function assertExecutionId(id: string): string {
  if (typeof id !== 'string' || !EXECUTION.test(id) || id.includes('..')) {
    throw new InvalidNameError(
      `invalid execution id ${JSON.stringify(id)}: use up to 256 letters, digits, ".", "_", ":" or "-" ` +
        '(a Step Functions execution ARN qualifies)',
    );
  }
  return id;
}

/** Checks a lowercase hex sha256. */
export function assertSha256(value: string, what = 'sha256'): string {
  if (typeof value !== 'string' || !SHA256.test(value)) {
    throw new InvalidNameError(
      `invalid ${what} ${JSON.stringify(value)}: expected 64 lowercase hex characters`,
    );
  }
  return value;
}

/** Parses a version reference: a number, a numeric string, `latest`, or an alias name. */
export function parseVersionRef(
  ref: number | string,
): { kind: 'version'; version: number } | { kind: 'latest' } | { kind: 'alias'; alias: string } {
  if (typeof ref === 'number') return { kind: 'version', version: assertVersion(ref) };
  if (/^\d+$/.test(ref)) return { kind: 'version', version: assertVersion(Number(ref)) };
  if (ref === 'latest') return { kind: 'latest' };
  return { kind: 'alias', alias: assertAlias(ref) };
}
