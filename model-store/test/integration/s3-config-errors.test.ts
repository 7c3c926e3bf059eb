/** Misconfigured S3 stores, against the local server: each error names the problem and the fix. */
import { openStore, StoreConfigError } from '@slipway/model-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from '../../../test-helpers/s3-server.js';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3?.stop();
});

describe('S3 store configuration errors', () => {
  it('names a bucket that does not exist and how to create it', async () => {
    const store = await openStore('s3://no-such-bucket/x', {
      endpoint: s3.endpoint,
      credentials: LOCAL_S3_CREDENTIALS,
    });
    const error = await store.listVersions('sentiment').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreConfigError);
    expect((error as Error).message).toBe(
      'bucket "no-such-bucket" does not exist (store s3://no-such-bucket/x/); create it (for example `aws s3 mb s3://no-such-bucket`) or fix the bucket in the store URI',
    );
    await store.close();
  });

  it('says where credentials can come from when the default chain finds none', async () => {
    const saved = { ...process.env };
    for (const name of Object.keys(process.env)) {
      if (name.startsWith('AWS_') && name !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED')
        delete process.env[name];
    }
    Object.assign(process.env, {
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    try {
      const store = await openStore(`s3://${s3.bucket}/x`, { endpoint: s3.endpoint });
      const error = await store.getModel('sentiment', 1).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreConfigError);
      expect((error as Error).message).toMatch(
        /^no AWS credentials found for s3:\/\/slipway-test\/x\/: set AWS_PROFILE \(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\)/,
      );
      await store.close();
    } finally {
      process.env = saved;
    }
  });
});
