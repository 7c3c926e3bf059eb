/**
 * Everything slipway writes as JSON parses in strict parsers, even when the data held lone surrogates
 * (a JSONL row can carry one through an escape such as `\ud800`). Checked for each file and response:
 * - valid UTF-8 (read as bytes, decoded with a fatal decoder; Python decodes them strictly too);
 * - no string or key holding a lone surrogate, which JSON can only carry as an escape like `\ud800`:
 *   jq 1.6 refuses it, Python's json.loads accepts it but the value cannot be encoded back to UTF-8
 *   (checked), and Go's encoding/json silently replaces it with U+FFFD (Go is not installed here: this
 *   rule is what makes Go read exactly what was written);
 * - Debian's `jq` parses it, and `/usr/bin/python3`'s json.load does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConsole } from '@slipway/console';
import { type ModelStore, openStore } from '@slipway/model-store';
import { LocalPipeline } from '@slipway/runner-local';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { slipway } from '../../helpers/cli.js';
import { runApprovedOnFile } from '../../helpers/pipeline.js';

let dir: string;
let store: ModelStore;
let pipeline: LocalPipeline;

// Written with escapes, as a JSONL file can: "\ud800" and "\udfff" alone are lone surrogates.
const ROWS = Array.from({ length: 60 }, (_, i) =>
  i % 2 === 0
    ? `{"text": "great lovely film \\ud800 number ${i}", "label": "pos"}`
    : `{"text": "awful boring \\udfff film number ${i}", "label": "neg\\udc00"}`,
);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-json-'));
  await writeFile(join(dir, 'data.jsonl'), `${ROWS.join('\n')}\n`);
  store = await openStore(`file://${dir}/store`);
  pipeline = new LocalPipeline({ store, port: 0, retryIntervalMs: 10, decisionPollMs: 50, servePollMs: 100 });
});
afterAll(async () => {
  await pipeline?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every string and key in a parsed JSON value, recursively. */
function* strings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      yield k;
      yield* strings(v);
    }
  }
}

/** Problems with one JSON document by the rules above (JS side); empty when strict parsers accept it. */
function problems(name: string, bytes: Uint8Array): string[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return [`${name}: not valid UTF-8`];
  }
  const docs = name.endsWith('.jsonl') ? text.split('\n').filter((l) => l.trim() !== '') : [text];
  const found: string[] = [];
  for (const doc of docs) {
    const lone = [...strings(JSON.parse(doc))].filter((s) => !s.isWellFormed());
    if (lone.length > 0) found.push(`${name}: lone surrogate in ${JSON.stringify(lone[0])}`);
  }
  return found;
}

const PYTHON_STRICT = `
import json, sys
bad = []
for path in sys.argv[1:]:
    try:
        text = open(path, 'rb').read().decode('utf-8', errors='strict')
        docs = [l for l in text.split('\\n') if l.strip()] if path.endswith('.jsonl') else [text]
        for doc in docs:
            # json.loads accepts "\\ud800"; encoding the value back to UTF-8 is what refuses it.
            json.dumps(json.loads(doc), ensure_ascii=False).encode('utf-8')
    except Exception as e:
        bad.append(f'{path}: {type(e).__name__}: {e}')
print(json.dumps(bad))
`;

/** Runs jq and strict Python over the files; returns their complaints. */
function externalProblems(files: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const jq = file.endsWith('.jsonl') ? ['-c', '.'] : ['.'];
    try {
      execFileSync('jq', [...jq, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      found.push(`jq ${file}: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`);
    }
  }
  const python = execFileSync('/usr/bin/python3', ['-c', PYTHON_STRICT, ...files]).toString();
  return [...found, ...(JSON.parse(python) as string[])];
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && /\.jsonl?$/.test(e.name)).map((e) => join(e.parentPath, e.name));
}

test('files, CLI output, endpoint and console answers parse in jq and strict Python despite lone surrogates in the data', async () => {
  // A pipeline run over the data: dataset, model, report, history, aliases in the store.
  const handle = await runApprovedOnFile(pipeline, store, join(dir, 'data.jsonl'), 'strict', {
    minAccuracy: 0.5,
    maxRegression: 0.02,
    minClassF1: 0,
  });
  const { manifest } = await store.getManifest('strict', 1);
  expect(manifest.classes).toEqual(['neg\ufffd', 'pos']);

  // What the services answer, and what the CLI prints, saved as files to check the same way.
  const outputs = join(dir, 'outputs');
  await rm(outputs, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(outputs, { recursive: true }));
  const save = async (name: string, text: string) => writeFile(join(outputs, name), text);
  const post = async (url: string, body: string) =>
    (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
  await save(
    'predict.json',
    await post(`${pipeline.endpoint}/predict`, '{"texts": ["lovely \\ud800", "x\\udfff"]}'),
  );
  await save(
    'legacy.json',
    await post(`${pipeline.endpoint}/`, '{"text": "boring \\ud800", "note\\udc00": "\\udfff"}'),
  );
  const console = await startConsole({ store, port: 0 });
  try {
    await save(
      'console-report.json',
      await (await fetch(`${console.url}/api/executions/${handle.id}/report`)).text(),
    );
    await save(
      'console-execution.json',
      await (await fetch(`${console.url}/api/executions/${handle.id}`)).text(),
    );
    await save('console-model.json', await (await fetch(`${console.url}/api/models/strict`)).text());
  } finally {
    await console.close();
  }
  const storeUri = `file://${dir}/store`;
  const cli = async (name: string, ...args: string[]) => {
    const r = await slipway(...args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    await save(name, r.stdout);
  };
  await cli('models-show.json', 'models', 'show', 'strict', '1', '--store', storeUri, '--json');
  await cli('executions-show.json', 'executions', 'show', handle.id, '--store', storeUri, '--json');
  await cli(
    'train.json',
    'train',
    '--data',
    join(dir, 'data.jsonl'),
    '--out',
    join(dir, 'trained'),
    '--json',
  );
  await cli('predict-cli.json', 'predict', '--model', join(dir, 'trained'), '--json', 'boring film');

  const files = [
    ...(await filesUnder(join(dir, 'store'))),
    ...(await filesUnder(join(dir, 'trained'))),
    ...(await filesUnder(outputs)),
  ];
  expect(files.length).toBeGreaterThan(15);
  const found: string[] = [];
  for (const file of files) found.push(...problems(file, await readFile(file)));
  found.push(...externalProblems(files));
  expect(found).toEqual([]);
}, 180_000);
