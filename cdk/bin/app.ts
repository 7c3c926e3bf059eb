// The CDK app: `npx cdk synth|deploy --all -c stage=<dev|staging|prod>` (run in cdk/).
// Optional context: -c config=<path> (default cdk/stages.json), -c nag=false to skip cdk-nag,
// -c createOidcProvider=false when the account already has GitHub's OIDC provider.
import { App } from 'aws-cdk-lib';
import {
  APP_CONTEXT,
  addStage,
  applyNagChecks,
  readConfig,
  STAGE_NAMES,
  stageConfig,
  withContextOverrides,
} from '../src/index.js';

const app = new App({ context: { ...APP_CONTEXT } });
const stage = app.node.tryGetContext('stage') as string | undefined;
if (stage === undefined) {
  console.error(`Name the stage to synthesize: -c stage=${STAGE_NAMES.join('|')}`);
  process.exit(2);
}
const configPath = app.node.tryGetContext('config') as string | undefined;
const config = withContextOverrides(stageConfig(readConfig(configPath), stage), {
  createOidcProvider: app.node.tryGetContext('createOidcProvider'),
});
addStage(app, config, {
  account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT,
  region: config.region ?? process.env.CDK_DEFAULT_REGION,
});
if (app.node.tryGetContext('nag') !== 'false') applyNagChecks(app);
app.synth();
