// The steps image really contains a loadable entry point for every CMD the functions name: each bundle
// is loaded in a fresh Node process from the image folder, as Lambda would, with a stand-in Secrets
// Manager on loopback for the functions that read their signing key at init.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, STEP_HANDLERS } from '../../src/index.js';

const run = promisify(execFile);
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slipway-approval';

/** Answers GetSecretValue for SECRET_ARN, the one call the approval functions make at init. */
function fakeSecretsManager(calls: string[]): Server {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      calls.push(String(req.headers['x-amz-target']));
      const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
      const found =
        req.headers['x-amz-target'] === 'secretsmanager.GetSecretValue' && SecretId === SECRET_ARN;
      res.writeHead(found ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify(
          found
            ? { ARN: SECRET_ARN, Name: 'slipway-approval', SecretString: 'k'.repeat(64), VersionId: 'v1' }
            : { __type: 'ResourceNotFoundException', message: 'no such secret' },
        ),
      );
    });
  });
}

describe('the steps image (runners/aws/build.mjs)', () => {
  let out: string;
  let stdout: string;
  let server: Server;
  const calls: string[] = [];
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'slipway-steps-image-'));
    ({ stdout } = await run(process.execPath, [join(REPO_ROOT, 'runners/aws/build.mjs'), '--out', out], {
      cwd: REPO_ROOT,
    }));
    server = fakeSecretsManager(calls);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }, 120_000);
  afterAll(async () => {
    rmSync(out, { recursive: true, force: true });
    await new Promise((resolve) => server.close(resolve));
  });

  it('has a bundle for every CMD whose source exists, each exporting a handler that loads', async () => {
    expect(stdout).toMatch(/^built .*: \d+ entries/);
    const store = mkdtempSync(join(tmpdir(), 'slipway-steps-store-'));
    const { port } = server.address() as AddressInfo;
    try {
      const loaded: string[] = [];
      for (const handler of Object.values(STEP_HANDLERS)) {
        const entry = handler.replace(/\.handler$/, '');
        const bundle = join(out, `${entry}.mjs`);
        expect(existsSync(bundle), bundle).toBe(
          existsSync(join(REPO_ROOT, 'runners/aws/src', `${entry}.ts`)),
        );
        if (!existsSync(bundle)) continue;
        const { stdout: type } = await run(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const m = await import(${JSON.stringify(bundle)}); console.log(typeof m.handler);`,
          ],
          {
            cwd: out,
            env: {
              PATH: process.env.PATH ?? '',
              STORE_URI: `file://${store}`,
              APPROVAL_SECRET_ARN: SECRET_ARN,
              TRAINING_FAMILY: 'slipway-dev-training',
              TRAINING_CONTAINER: 'train',
              TRAINING_REPOSITORIES: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/slipway-dev/training',
              AWS_REGION: 'eu-west-1',
              AWS_ACCESS_KEY_ID: 'test',
              AWS_SECRET_ACCESS_KEY: 'test',
              AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${port}`,
              AWS_EMF_ENVIRONMENT: 'Local',
            },
          },
        );
        expect(type.trim(), entry).toBe('function');
        loaded.push(entry);
      }
      if (loaded.includes('approval-links/lambda')) {
        // It read its signing key at init, from the stand-in.
        expect(calls).toContain('secretsmanager.GetSecretValue');
      }
      // The five steps always; the links function once its source exists.
      expect(loaded).toEqual(
        expect.arrayContaining(
          Object.values(STEP_HANDLERS)
            .slice(0, 5)
            .map((h) => h.replace(/\.handler$/, '')),
        ),
      );
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  }, 120_000);

  it("carries onnxruntime-node's linux x64 binding and no other platform's", () => {
    const bin = join(out, 'node_modules/onnxruntime-node/bin/napi-v6');
    expect(existsSync(join(bin, 'linux/x64'))).toBe(true);
    expect(existsSync(join(bin, 'darwin'))).toBe(false);
    expect(existsSync(join(bin, 'win32'))).toBe(false);
  });
});
