#!/usr/bin/env node
// Builds what the step functions' image contains, into one folder (the Dockerfile's build stage runs
// exactly this; the CDK tests run it too). One image serves every step: each function picks its
// entry point with the image's CMD, e.g. `steps/evaluate/lambda.handler`.
//   steps/<step>/lambda.mjs               esbuild bundle of runners/aws/src/steps/<step>/lambda.ts
//   approval-links/lambda.mjs             esbuild bundle of runners/aws/src/approval-links/lambda.ts
//   chunks/*.mjs                          code the bundles share (model store, AWS SDK clients)
//   node_modules/onnxruntime-node/        Evaluate runs models with it: linux/x64 binaries only
//   node_modules/onnxruntime-common/
// An entry whose source does not exist yet is skipped with a warning, so the image builds while the
// AWS adapters are still being written; the function that names it then fails at init, loudly.
//
// Usage: node runners/aws/build.mjs [--out <dir>]   (default runners/aws/image)
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import {
  copyOnnxruntime,
  inlineVersions,
  LAMBDA_BUNDLE,
  listFiles,
  onnxruntimeNodeDir,
} from '../../inference/build.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const src = join(repo, 'runners/aws/src');

/** Every entry point: the handler string a function's CMD names is `<entry>.handler`. */
export const STEP_ENTRIES = [
  'steps/evaluate/lambda',
  'steps/register/lambda',
  'steps/approval/lambda',
  'steps/promote/lambda',
  'steps/smoke-test/lambda',
  'steps/training-task/lambda',
  'approval-links/lambda',
];

/**
 * Builds the image contents into `out`. Returns the entries built, the entries skipped (source missing),
 * each built entry's exported names, and every file written (relative, sorted).
 */
export async function buildStepsImage(out, { warn = (m) => console.warn(m) } = {}) {
  const built = [];
  const skipped = [];
  for (const entry of STEP_ENTRIES) {
    const exists = await stat(join(src, `${entry}.ts`)).then(
      () => true,
      () => false,
    );
    if (exists) built.push(entry);
    else {
      skipped.push(entry);
      warn(`warning: runners/aws/src/${entry}.ts does not exist; the image will not contain ${entry}.mjs`);
    }
  }
  const ortNode = onnxruntimeNodeDir();
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const result = await build({
    entryPoints: built.map((entry) => join(src, `${entry}.ts`)),
    outbase: src,
    outdir: out,
    entryNames: '[dir]/[name]',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    ...LAMBDA_BUNDLE,
    splitting: true,
    plugins: [inlineVersions(ortNode)],
  });
  const exports = {};
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (!output.entryPoint) continue;
    const entry = relative(out, resolve(repo, file)).replace(/\.mjs$/, '');
    exports[entry] = [...output.exports].sort();
  }
  await copyOnnxruntime(ortNode, out);
  return { built, skipped, exports, files: await listFiles(out) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const at = process.argv.indexOf('--out');
  const out = resolve(at === -1 ? join(here, 'image') : (process.argv[at + 1] ?? ''));
  const started = performance.now();
  const { built, files } = await buildStepsImage(out);
  let bytes = 0;
  for (const file of files) bytes += (await stat(join(out, file))).size;
  console.log(
    `built ${out}: ${built.length} entries, ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${Math.round(performance.now() - started)} ms`,
  );
}
