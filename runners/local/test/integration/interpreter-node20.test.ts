import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// aws-local-stepfunctions 3.0.0 (the only published version) declares node >= 22, so `npm ci` on Node 20
// prints EBADENGINE. These tests are why the README can still promise Node 20.19+.
const require = createRequire(import.meta.url);
const esmBuild = require.resolve('aws-local-stepfunctions').replace(/main\.node\.cjs$/, 'main.node.esm.js');
const polyfill = fileURLToPath(new URL('../../dist/runtime/polyfill.js', import.meta.url));

/** Runs a one-Task machine in a fresh node without the native Promise.withResolvers (as on Node 20). */
async function runWithoutNativeWithResolvers(withPolyfill: boolean): Promise<string> {
  const script = `
    delete Promise.withResolvers;
    ${withPolyfill ? `await import(${JSON.stringify(polyfill)});` : ''}
    const { StateMachine } = await import(${JSON.stringify(esmBuild)});
    const machine = new StateMachine({
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f', TimeoutSeconds: 30, End: true } },
    });
    const execution = machine.run({ a: 1 }, { overrides: { taskResourceLocalHandlers: { T: async (i) => ({ ...i, b: 2 }) } } });
    process.stdout.write(JSON.stringify(await execution.result));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 60_000,
  });
  return stdout;
}

describe('aws-local-stepfunctions on Node 20', () => {
  it('calls no Node 22 API but Promise.withResolvers (a new version that does must be checked again)', async () => {
    const build = await readFile(esmBuild, 'utf8');
    // Node 21+/22+ additions a library might call; AbortSignal.any (20.3) and structuredClone (17) are in 20.
    const node22Only = [
      'withResolvers',
      'Array.fromAsync',
      'Object.groupBy',
      'Map.groupBy',
      'Promise.try',
      'getBuiltinModule',
      '.isSubsetOf(',
      '.symmetricDifference(',
      'Iterator.from',
      'URL.parse(',
      'Float16Array',
    ].filter((api) => build.includes(api));
    expect(node22Only).toEqual(['withResolvers']);
  });

  it('runs a Task with the runtime polyfill where Promise.withResolvers is missing, and fails without it', async () => {
    expect(JSON.parse(await runWithoutNativeWithResolvers(true))).toEqual({ a: 1, b: 2 });
    await expect(runWithoutNativeWithResolvers(false)).rejects.toThrow(/withResolvers is not a function/);
  }, 120_000);
});
