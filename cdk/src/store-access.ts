import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/** The top-level areas of the model store (DESIGN.md's layout). */
export type StoreArea = 'datasets' | 'runs' | 'models' | 'executions';

/** What a principal may do in one area of the store. */
export interface AreaGrant {
  readonly area: StoreArea;
  /** `read`: get and list; `write`: also put; `delete`: also delete (the store removes abandoned claims). */
  readonly access: 'read' | 'write' | 'delete';
}

/**
 * Statements that give exactly the listed areas of the store: objects by key prefix, listing by
 * `s3:prefix`. The model store sits at the bucket's root (StoreUri `s3://<bucket>`).
 * @example storeStatements(bucket, [{ area: 'datasets', access: 'read' }])
 */
export function storeStatements(bucket: s3.IBucket, grants: readonly AreaGrant[]): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  const byActions = new Map<string, string[]>();
  for (const { area, access } of grants) {
    const actions = ['s3:GetObject'];
    if (access !== 'read') actions.push('s3:PutObject');
    if (access === 'delete') actions.push('s3:DeleteObject');
    const key = actions.join(',');
    byActions.set(key, [...(byActions.get(key) ?? []), area]);
  }
  for (const [actions, areas] of byActions) {
    statements.push(
      new iam.PolicyStatement({
        actions: actions.split(','),
        resources: areas.map((area) => bucket.arnForObjects(`${area}/*`)),
      }),
    );
  }
  statements.push(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': grants.map(({ area }) => `${area}/*`) } },
    }),
  );
  return statements;
}

/** The cdk-nag `appliesTo` entries for the object prefixes {@link storeStatements} grants. */
export function storeWildcards(bucketLogicalIdPattern: string, areas: readonly StoreArea[]) {
  return areas.map((area) => ({
    regex: `/^Resource::<${bucketLogicalIdPattern}[A-Za-z0-9]*\\.Arn>\\/${area}\\/\\*$/g`,
  }));
}
