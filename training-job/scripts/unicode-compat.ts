/**
 * Regenerates src/text/unicode-compat.generated.ts: where the installed onnxruntime (its glibc towlower
 * and RE2 tables) disagrees with this Node's Unicode tables. The reference applies these exceptions so it
 * matches the runtime exactly. Run after upgrading onnxruntime-node or Node: `npm run gen:unicode -w @slipway/training-job`.
 */
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { probeOrtUnicode } from '../src/text/ort-probe.js';
import { compatFromProbe, renderCompat } from '../src/text/unicode-compat.js';

const require = createRequire(import.meta.url);
const version = (require('onnxruntime-node/package.json') as { version: string }).version;
const compat = compatFromProbe(await probeOrtUnicode(), version);
const target = new URL('../src/text/unicode-compat.generated.ts', import.meta.url);
await writeFile(target, renderCompat(compat));
console.log(
  `wrote ${target.pathname}: ${compat.lowerMap.length} lowercase exceptions, ` +
    `${compat.notToken.length} non-token ranges, ${compat.extraToken.length} extra token ranges`,
);
