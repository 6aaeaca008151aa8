/**
 * The CDK app of `cdk synth` / `cdk deploy`: the secrets store stack, checked by cdk-nag's
 * AWS Solutions and Serverless packs (an unsuppressed error fails the synth).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { SecretsStoreStack } from './secrets-store-stack.ts';

const app = new App();
new SecretsStoreStack(app, 'SecretsStore', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app, { verbose: true }),
  new ServerlessChecks(app, { verbose: true }),
);
