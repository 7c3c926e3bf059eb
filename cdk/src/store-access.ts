import type { StoreArea } from '@slipway/contracts';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/** What a principal may do in one area of the store. */
export interface AreaGrant {
  readonly area: StoreArea;
  /**
   * `read`: get and list; `write`: also put; `delete`: also delete (the store removes abandoned claims);
   * `create`: get, list and put only with `If-None-Match` (never overwrite).
   */
  readonly access: 'read' | 'write' | 'delete' | 'create';
  /** Keys inside the area, e.g. `* /evaluation.json` without the space. Default every key (`*`). */
  readonly keys?: string;
}

/**
 * Statements that give exactly the listed areas of the store: objects by key prefix, listing by
 * `s3:prefix`. The model store sits at the bucket's root (StoreUri `s3://<bucket>`).
 * @example storeStatements(bucket, [{ area: 'datasets', access: 'read' }])
 */
export function storeStatements(bucket: s3.IBucket, grants: readonly AreaGrant[]): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  const byActions = new Map<string, string[]>();
  const creates: string[] = [];
  for (const { area, access, keys = '*' } of grants) {
    const objects = `${area}/${keys}`;
    const actions = ['s3:GetObject'];
    if (access === 'write' || access === 'delete') actions.push('s3:PutObject');
    if (access === 'delete') actions.push('s3:DeleteObject');
    if (access === 'create') creates.push(objects);
    const key = actions.join(',');
    byActions.set(key, [...(byActions.get(key) ?? []), objects]);
  }
  for (const [actions, objects] of byActions) {
    statements.push(
      new iam.PolicyStatement({
        actions: actions.split(','),
        resources: objects.map((o) => bucket.arnForObjects(o)),
      }),
    );
  }
  if (creates.length > 0) {
    // PutObject only with an If-None-Match header: S3 refuses the write when the key exists
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html).
    statements.push(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: creates.map((o) => bucket.arnForObjects(o)),
        conditions: { Null: { 's3:if-none-match': 'false' } },
      }),
    );
  }
  statements.push(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [...new Set(grants.map(({ area }) => `${area}/*`))] } },
    }),
  );
  return statements;
}

/** The cdk-nag `appliesTo` entries for the object prefixes {@link storeStatements} grants. */
export function storeWildcards(bucketLogicalIdPattern: string, areas: readonly StoreArea[]) {
  return areas.map((area) => ({
    regex: `/^Resource::<${bucketLogicalIdPattern}[A-Za-z0-9]*\\.Arn>\\/${area}\\/\\*.*$/g`,
  }));
}
