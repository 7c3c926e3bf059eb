import { createRequire } from 'node:module';
import { expect, test } from 'vitest';
import { probeOrtUnicode } from '../../../src/text/ort-probe.js';
import { ORT_UNICODE } from '../../../src/text/unicode-compat.generated.js';
import { compatFromProbe } from '../../../src/text/unicode-compat.js';

const require = createRequire(import.meta.url);

// Every Unicode scalar value goes through onnxruntime's StringNormalizer and Tokenizer; the reference's
// tables must describe exactly what the runtime did. If this fails after an upgrade of onnxruntime-node
// or Node, run `npm run gen:unicode -w @slipway/training-job` and commit the regenerated file.
test('the reference lowercases and tokenizes every code point exactly as onnxruntime does', async () => {
  const version = (require('onnxruntime-node/package.json') as { version: string }).version;
  const probed = compatFromProbe(await probeOrtUnicode(), version);
  expect(probed).toEqual(ORT_UNICODE);
}, 60_000);
