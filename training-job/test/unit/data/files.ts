import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DataError } from '@slipway/training-job';
import { afterAll } from 'vitest';

/** A fresh temporary directory, removed after the test file. */
export async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-data-'));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `content` to `dir/name` (creating folders) and returns the full path. */
export async function put(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const file = join(dir, name);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

/** The DataError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function dataErrorOf(promise: Promise<unknown>): Promise<DataError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error('expected a DataError, but the call succeeded');
}

/** Rows per label. */
export function countLabels(rows: readonly { label: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.label] = (counts[row.label] ?? 0) + 1;
  return counts;
}
