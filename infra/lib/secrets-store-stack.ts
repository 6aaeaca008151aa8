import { Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import {
  acknowledgeLambdaFindings,
  lambdaDefaults,
  REPOSITORY_ROOT,
  SecretsStoreBackend,
  type SecretsStoreBackendProps,
} from './secrets-store-backend.ts';

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
      ...lambdaDefaults(props.backend?.logRetention, this, 'ExampleFunction'),
    });
    this.backend.configureFunction(this.exampleFunction, {
      namespace: props.exampleNamespace ?? 'example-app:install-1',
    });
    acknowledgeLambdaFindings(this.exampleFunction);
    Validations.of(this.exampleFunction).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason: 'The example is invoked synchronously; its caller sees every failure.',
    });
  }
}
