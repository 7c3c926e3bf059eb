/**
 * Preload (`node --import`) that appends every `@aws-sdk/*` specifier the process resolves to the file
 * named by SLIPWAY_IMPORT_LOG, so a test can tell whether a code path loaded the SDK.
 */
import { register } from 'node:module';

// Module hooks run on their own thread, so they are plain JavaScript handed over as a data: URL.
const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const log = process.env.SLIPWAY_IMPORT_LOG;
  if (log && specifier.startsWith('@aws-sdk/')) appendFileSync(log, specifier + '\\n');
  return next(specifier, context);
}
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
