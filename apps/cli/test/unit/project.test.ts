// slipway.json: the published schema is the zod schema's, a bad file is refused naming each key, and
// flags override the file one setting at a time.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Output } from '../../src/output.js';
import {
  PROJECT_SCHEMA_PATH,
  parseProject,
  projectJsonSchema,
  projectJsonSchemaText,
  readProject,
  runSettings,
} from '../../src/project.js';
import { slipway } from '../helpers/cli.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'slipway-project-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const quiet = () => {
  const stderr = new PassThrough();
  const lines: string[] = [];
  stderr.on('data', (c: Buffer) => lines.push(...c.toString('utf8').trim().split('\n')));
  return { out: new Output({ stdout: new PassThrough(), stderr }, false), lines };
};
const write = async (json: unknown) => {
  const path = join(root, 'slipway.json');
  await writeFile(path, typeof json === 'string' ? json : JSON.stringify(json));
  return path;
};

describe('the published JSON Schema', () => {
  test('is the one the zod schema gives (run `npm run schema` after changing it)', async () => {
    // Compared as JSON: the formatter may lay the file out its own way.
    expect(JSON.parse(await readFile(PROJECT_SCHEMA_PATH, 'utf8'))).toEqual(projectJsonSchema());
  });

  test('names every key with a description, so editors can complete it', () => {
    const schema = JSON.parse(projectJsonSchemaText()) as {
      properties: Record<string, { description?: string }>;
      additionalProperties: boolean;
    };
    expect(Object.keys(schema.properties)).toEqual([
      '$schema',
      'model',
      'data',
      'trainer',
      'hyperparameters',
      'thresholds',
      'compute',
    ]);
    for (const [key, property] of Object.entries(schema.properties))
      expect(property.description, key).toMatch(/\w/);
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('slipway init', () => {
  test('writes a valid file whose $schema points at the published schema, and never overwrites it', async () => {
    const first = await slipway('init', '--dir', root);
    expect(first.code).toBe(0);
    const path = join(root, 'slipway.json');
    const text = await readFile(path, 'utf8');
    const project = parseProject(text, path);
    expect(project.settings).toMatchObject({ trainer: 'builtin', data: { train: 'builtin:sentiment' } });
    expect(resolve(root, String(project.settings.$schema))).toBe(PROJECT_SCHEMA_PATH);

    await writeFile(path, '{"model": "mine"}');
    const second = await slipway('init', '--dir', root);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`${path} already exists`);
    expect(await readFile(path, 'utf8')).toBe('{"model": "mine"}');
  });
});

describe('reading slipway.json', () => {
  test('an invalid file is refused naming each key and what was expected (usage error, nothing done)', async () => {
    const path = await write({
      model: 'Bad Name',
      data: { train: 3 },
      trainer: { command: [], img: 'x' },
      thresholds: { minAccuracy: 2 },
      compute: 'gpu',
      extra: 1,
    });
    const result = await slipway('train', '--project', root, '--out', join(root, 'model'));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      `error: ${path} is not a valid project file:`,
      '  model: use 1-40 lowercase letters, digits and dashes, starting with a letter or digit',
      '  data.train: Invalid input: expected string, received number',
      '  trainer.command: Too small: expected array to have >=1 items',
      '  trainer.img: not a slipway.json key',
      '  thresholds.minAccuracy: Too big: expected number to be <=1',
      '  compute: Invalid option: expected one of "sagemaker"|"fargate"',
      '  extra: not a slipway.json key (the keys are $schema, model, data, trainer, hyperparameters, thresholds, compute)',
    ]);
    await expect(readFile(join(root, 'model', 'model.onnx'))).rejects.toThrow(/ENOENT/);
  });

  test('a trainer that is neither "builtin" nor a command says what it may be', async () => {
    await write({ trainer: 'python train.py' });
    await expect(readProject(root)).rejects.toThrow(
      'trainer: expected "builtin" or {"command": ["program", "arg", ...], "image"?: "...", "dockerfile"?: "..."}',
    );
  });

  test('an image must be pinned by digest: a tag can move', async () => {
    await write({ trainer: { command: ['python3', 'train.py'], image: 'repo/trainer:latest' } });
    await expect(readProject(root)).rejects.toThrow(
      'trainer.image: expected an image pinned by digest, <registry>/<repository>@sha256:<64 hex>',
    );
    await write({
      trainer: {
        command: ['python3', 'train.py'],
        image: `registry.example/trainer@sha256:${'a'.repeat(64)}`,
      },
    });
    expect((await readProject(root)).settings.trainer).toMatchObject({
      image: `registry.example/trainer@sha256:${'a'.repeat(64)}`,
    });
  });

  test('text that is not JSON, and a --project that does not exist, are usage errors', async () => {
    await write('{"model": ');
    await expect(readProject(root)).rejects.toMatchObject({ name: 'UsageError', message: /is not JSON/ });
    await expect(readProject(join(root, 'nowhere'))).rejects.toMatchObject({
      name: 'UsageError',
      message: /--project .*nowhere: no such file or folder/,
    });
  });

  test('no file in the current folder means no project: every setting is the default', async () => {
    expect(await readProject(undefined, root)).toEqual({
      path: null,
      root,
      settings: {},
      hyperparameters: {},
    });
  });

  test('paths are relative to the file, builtin data stays as it is; --project takes the file or its folder', async () => {
    await mkdir(join(root, 'data'));
    const path = await write({ data: { train: 'data/train.jsonl', test: 'data/test.jsonl' } });
    for (const given of [root, path]) {
      const project = await readProject(given, dirname(root));
      expect(project.train).toBe(join(root, 'data', 'train.jsonl'));
      expect(project.test).toBe(join(root, 'data', 'test.jsonl'));
    }
    await write({ data: { train: 'builtin:spam' } });
    expect((await readProject(root)).train).toBe('builtin:spam');
  });
});

describe('flags override the project file', () => {
  const projectText = {
    model: 'reviews',
    data: { train: 'train.jsonl', test: 'test.jsonl' },
    hyperparameters: { C: 4, ngramMax: '3', sublinearTf: false },
    thresholds: { minAccuracy: 0.7, maxRegression: 0.02 },
    compute: 'fargate',
  };

  test('without flags the file decides; hyperparameters become strings', async () => {
    await write(projectText);
    const { out } = quiet();
    expect(runSettings(await readProject(root), { hp: {} }, out)).toEqual({
      data: join(root, 'train.jsonl'),
      test: join(root, 'test.jsonl'),
      model: 'reviews',
      hyperparameters: { C: '4', ngramMax: '3', sublinearTf: 'false' },
      thresholds: { minAccuracy: 0.7, maxRegression: 0.02 },
      compute: 'fargate',
      trainer: { type: 'builtin' },
    });
  });

  test('each flag replaces its setting; --data replaces the data with its test file', async () => {
    await write(projectText);
    const { out, lines } = quiet();
    const settings = runSettings(
      await readProject(root),
      {
        data: 'builtin:spam',
        model: 'spam',
        hp: { C: '2' },
        minAccuracy: 0.5,
        trainer: 'sagemaker',
      },
      out,
    );
    expect(settings).toEqual({
      data: 'builtin:spam',
      model: 'spam',
      hyperparameters: { C: '2', ngramMax: '3', sublinearTf: 'false' },
      thresholds: { minAccuracy: 0.5, maxRegression: 0.02 },
      compute: 'sagemaker',
      trainer: { type: 'builtin' },
    });
    expect(lines).toEqual(['warning: --trainer sagemaker is deprecated; use --compute sagemaker']);
    expect(runSettings(await readProject(root), { hp: {}, test: 'other.jsonl' }, out).test).toBe(
      'other.jsonl',
    );
  });

  test("a project's command runs from the project root; --trainer-command overrides it from here", async () => {
    await write({ trainer: { command: ['python3', 'train.py', '--epochs', '3'] } });
    const { out } = quiet();
    const project = await readProject(root);
    expect(runSettings(project, { hp: {} }, out).trainer).toEqual({
      type: 'command',
      command: ['python3', 'train.py', '--epochs', '3'],
      workdir: root,
    });
    const flag = { type: 'command' as const, command: ['./other'], workdir: '/elsewhere' };
    expect(runSettings(project, { hp: {} }, out, flag).trainer).toEqual(flag);
  });

  test('nothing anywhere: builtin:sentiment, and compute left to the command', async () => {
    const { out } = quiet();
    expect(runSettings(await readProject(undefined, root), { hp: {} }, out)).toEqual({
      data: 'builtin:sentiment',
      hyperparameters: {},
      thresholds: {},
      trainer: { type: 'builtin' },
    });
  });
});
