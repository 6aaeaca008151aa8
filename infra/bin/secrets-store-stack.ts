/**
 * This repository's own stack (`cdk.json`, `npm run synth`): the backend and the example app's
 * function, bundled from this checkout's sources. Not part of the published package: it needs
 * the repository (packages/example-app), so it lives beside the app, outside lib/.
 */
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { acknowledgeLambdaFindings } from '../lib/function-defaults.ts';
import {
  SecretsStoreBackend,
  type SecretsStoreBackendProps,
} from '../lib/secrets-store-backend.ts';
import { bundledFunctionDefaults, REPOSITORY_ROOT } from './bundling.ts';

export interface SecretsStoreStackProps extends StackProps {
  readonly backend?: SecretsStoreBackendProps;
  /** The namespace of the example function. @default 'example-app:install-1' */
  readonly exampleNamespace?: string;
}

/** The backend and one example Lambda that keeps its token and rate limit in storage.secrets. */
export class SecretsStoreStack extends Stack {
  readonly backend: SecretsStoreBackend;
  readonly exampleFunction: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: SecretsStoreStackProps = {}) {
    super(scope, id, props);
    this.backend = new SecretsStoreBackend(this, 'Secrets', props.backend);
    this.exampleFunction = new nodejs.NodejsFunction(this, 'ExampleFunction', {
      description: 'Example app: a partner API token and rate limit in storage.secrets',
      entry: `${REPOSITORY_ROOT}packages/example-app/src/handler.ts`,
      handler: 'handler',
      timeout: Duration.seconds(10),
      ...bundledFunctionDefaults(props.backend?.logRetention, this, 'ExampleFunction'),
    });
    this.backend.configureFunction(this.exampleFunction, {
      namespace: props.exampleNamespace ?? 'example-app:install-1',
    });
    acknowledgeLambdaFindings(this.exampleFunction);
    new CfnOutput(this, 'TableName', {
      description: 'The secrets table (SECRETS_STORE_TABLE)',
      value: this.backend.table.tableName,
    });
    new CfnOutput(this, 'KeyArn', {
      description: 'The KMS key that wraps the data keys (SECRETS_STORE_KEY_ID)',
      value: this.backend.key.keyArn,
    });
    new CfnOutput(this, 'CleanupFunctionName', {
      description: 'The cleanup function: invoke it with {"namespace": "..."} to purge one',
      value: this.backend.cleanupFunction.functionName,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Failed install and uninstall events; redrive them as the README says',
      value: this.backend.deadLetterQueue.queueUrl,
    });
    Validations.of(this.exampleFunction).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason: 'The example is invoked synchronously; its caller sees every failure.',
    });
  }
}
