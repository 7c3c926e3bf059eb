// The images the stacks build: each build context holds exactly what its Dockerfile copies (no more,
// so unrelated changes do not rebuild an image; no less, so the build finds every file).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ImageSpec, INFERENCE_IMAGE, REPO_ROOT, STEPS_IMAGE, TRAINING_IMAGE } from '../../src/index.js';

/** The sources of a Dockerfile's COPY lines that read the build context (not `--from` a stage). */
function copiedPaths(dockerfile: string): string[] {
  return readFileSync(join(REPO_ROOT, dockerfile), 'utf8')
    .split('\n')
    .filter((line) => /^COPY\s/.test(line) && !/--from=/.test(line))
    .flatMap((line) => {
      const args = line.trim().split(/\s+/).slice(1);
      return args.slice(0, -1).map((p) => p.replace(/\/$/, ''));
    });
}

describe.each([
  ['training', TRAINING_IMAGE],
  ['inference', INFERENCE_IMAGE],
  ['steps', STEPS_IMAGE],
] as [string, ImageSpec][])('the %s image', (_name, spec) => {
  it('has a build context of exactly the paths its Dockerfile copies', () => {
    expect([...new Set(copiedPaths(spec.file))].sort()).toEqual([...spec.context].sort());
    for (const path of spec.context) expect(existsSync(join(REPO_ROOT, path)), path).toBe(true);
  });
});
