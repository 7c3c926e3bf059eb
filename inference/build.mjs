#!/usr/bin/env node
// Builds what the inference Lambda image contains, into one folder (the Dockerfile's build stage runs
// exactly this, and a test runs it too):
//   handler.mjs                          esbuild bundle of inference/src/handler.ts
//   node_modules/onnxruntime-node/       package.json, dist/, bin/napi-v6/linux/x64/ only
//   node_modules/onnxruntime-common/     package.json, dist/cjs/ (what onnxruntime-node requires)
// onnxruntime-node stays outside the bundle because it loads its native binding from a path relative
// to its own files. Other platforms' binaries (about 240 MB) are left out.
//
// Usage: node inference/build.mjs [--out <dir>]   (default inference/image)
import { cp, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');

/** The top-level paths of the image contents, in the order the Dockerfile copies them. */
export const IMAGE_PATHS = [
  'handler.mjs',
  'node_modules/onnxruntime-node',
  'node_modules/onnxruntime-common',
];

/** Bundled CommonJS dependencies call require(); an ES module has none of its own. */
export const REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** onnxruntime-node's folder, as the trainer resolves it. */
export function onnxruntimeNodeDir() {
  return dirname(
    createRequire(join(repo, 'training-job/package.json')).resolve('onnxruntime-node/package.json'),
  );
}

/** The onnxruntime-node files kept (relative to its package folder). */
const ORT_NODE_KEEP = ['package.json', 'dist', 'bin/napi-v6/linux/x64'];
const ORT_COMMON_KEEP = ['package.json', 'dist/cjs'];

/**
 * esbuild options both Lambda images share: one ESM bundle for Node 22 on the workspaces' TypeScript
 * sources, onnxruntime-node left outside (it loads its native binding from its own files).
 */
export const LAMBDA_BUNDLE = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  // Workspace packages resolve to their TypeScript sources: no separate tsc build needed.
  conditions: ['source'],
  mainFields: ['module', 'main'],
  external: ['onnxruntime-node'],
  banner: { js: REQUIRE_BANNER },
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
};

/** Builds the image contents into `out` and returns the list of files written (relative, sorted). */
export async function buildImage(out) {
  const ortNode = onnxruntimeNodeDir();
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const result = await build({
    entryPoints: [join(repo, 'inference/src/handler.ts')],
    outfile: join(out, 'handler.mjs'),
    ...LAMBDA_BUNDLE,
    plugins: [inlineVersions(ortNode), servingOnly()],
  });
  await copyOnnxruntime(ortNode, out);
  return { files: await listFiles(out), metafile: result.metafile };
}

/** Copies onnxruntime-node (linux/x64 binaries only) and onnxruntime-common into `out/node_modules`. */
export async function copyOnnxruntime(ortNode, out) {
  // onnxruntime-common's exports hide package.json: find the folder from its entry point.
  const commonEntry = createRequire(join(ortNode, 'package.json')).resolve('onnxruntime-common');
  const ortCommon = commonEntry.slice(0, commonEntry.lastIndexOf('/dist/'));
  await copyKept(ortNode, join(out, 'node_modules/onnxruntime-node'), ORT_NODE_KEEP);
  await copyKept(ortCommon, join(out, 'node_modules/onnxruntime-common'), ORT_COMMON_KEEP);
}

/**
 * training-job's versions module reads package.json files relative to itself at run time, which a
 * bundle cannot do: put the values in at build time instead. `ortNode` is onnxruntime-node's folder.
 */
export function inlineVersions(ortNode) {
  return {
    name: 'inline-versions',
    setup(b) {
      b.onLoad({ filter: /training-job[\\/]src[\\/]versions\.ts$/ }, async () => {
        const trainer = JSON.parse(await readFile(join(repo, 'training-job/package.json'), 'utf8')).version;
        const ort = JSON.parse(await readFile(join(ortNode, 'package.json'), 'utf8')).version;
        return {
          contents: `export const trainerVersion = ${JSON.stringify(trainer)};\nexport const onnxruntimeVersion = ${JSON.stringify(ort)};\n`,
          loader: 'ts',
        };
      });
    },
  };
}

/**
 * The handler imports `openModel` from @slipway/training-job, whose index also carries the trainer
 * (protobufjs, data loaders). Its modules have no import-time side effects that serving needs, so
 * marking them side-effect free lets esbuild drop what serving never calls: a smaller file to
 * compile at every cold start.
 */
export function servingOnly() {
  return {
    name: 'serving-only',
    setup(b) {
      b.onResolve({ filter: /^@slipway\/training-job$/ }, () => ({
        path: join(repo, 'training-job/src/index.ts'),
        sideEffects: false,
      }));
      b.onResolve({ filter: /^\.\.?\// }, (args) =>
        /training-job[\\/]src[\\/]/.test(args.importer)
          ? { path: resolveTs(args.resolveDir, args.path), sideEffects: false }
          : undefined,
      );
    },
  };
}

function resolveTs(dir, specifier) {
  return resolve(dir, specifier.replace(/\.js$/, '.ts'));
}

async function copyKept(from, to, keep) {
  for (const path of keep) {
    await mkdir(dirname(join(to, path)), { recursive: true });
    await cp(join(from, path), join(to, path), { recursive: true, dereference: true });
  }
}

/** Every file under `dir`, relative and sorted. */
export async function listFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const at = process.argv.indexOf('--out');
  const out = resolve(at === -1 ? join(here, 'image') : (process.argv[at + 1] ?? ''));
  const started = performance.now();
  const { files } = await buildImage(out);
  let bytes = 0;
  for (const file of files) bytes += (await stat(join(out, file))).size;
  const handler = (await stat(join(out, 'handler.mjs'))).size;
  console.log(
    `built ${out}: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB (handler.mjs ${(handler / 1e6).toFixed(2)} MB) in ${Math.round(performance.now() - started)} ms`,
  );
}
