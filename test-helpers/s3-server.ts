import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

// The AWS SDK warns once per process that it will need Node 22; tests only add noise by repeating it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Credentials s3rver accepts; used only against the local test server. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A local S3-compatible server (s3rver behind the conditional-write proxy) on 127.0.0.1. */
export interface LocalS3 {
  /** The proxy: point every client here. */
  readonly endpoint: string;
  /** s3rver itself, without conditional-write enforcement (only for showing why the proxy exists). */
  readonly upstream: string;
  readonly bucket: string;
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./s3-server-main.ts', import.meta.url));

/** Starts s3rver + proxy in a child process and waits until they listen. */
export async function startLocalS3(bucket = 'slipway-test'): Promise<LocalS3> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '--conditions=source', '--import', 'tsx', MAIN, bucket],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const ready = new Promise<{ endpoint: string; upstream: string }>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk) => {
      buffered += String(chunk);
      const newline = buffered.indexOf('\n');
      if (newline !== -1) resolve(JSON.parse(buffered.slice(0, newline)));
    });
    child.on('exit', (code) =>
      reject(new Error(`local S3 server exited with ${code} before listening:\n${stderr}`)),
    );
  });
  // Generous: on a loaded 2-core machine importing tsx, s3rver and the proxy has taken over 30 s.
  const timeout = setTimeout(() => child.kill('SIGKILL'), 300_000);
  try {
    const { endpoint, upstream } = await ready;
    return {
      endpoint,
      upstream,
      bucket,
      stop: async () => {
        if (child.exitCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      },
    };
  } finally {
    clearTimeout(timeout);
  }
}
