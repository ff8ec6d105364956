import { App } from 'aws-cdk-lib';
import { addPolicyChecks } from '../lib/constructs/policy-checks.js';
import { stageConfigFromContext } from '../lib/stage-config.js';
import { TmProxyStack } from '../lib/tm-proxy-stack.js';

const app = new App();
const stage = String(app.node.tryGetContext('stage') ?? 'dev');
const config = stageConfigFromContext(stage, app.node.tryGetContext('tm-proxy:stages'));
new TmProxyStack(app, `TmProxy-${config.stage}`, {
  config,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
addPolicyChecks(app, { verbose: true });
