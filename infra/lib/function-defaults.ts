import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Settings every function of the project shares: ARM64, Node 22, X-Ray, bounded logs. */
export function functionDefaults(
  retention: logs.RetentionDays | undefined,
  scope: Construct,
  id: string,
): Pick<
  lambda.FunctionProps,
  'runtime' | 'architecture' | 'memorySize' | 'tracing' | 'logGroup'
> & { readonly runtime: lambda.Runtime } {
  return {
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    tracing: lambda.Tracing.ACTIVE,
    logGroup: new logs.LogGroup(scope, `${id}Logs`, {
      retention: retention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
  };
}

/** cdk-nag findings every project function has, each with the reason it stands. */
export function acknowledgeLambdaFindings(fn: lambda.Function): void {
  Validations.of(fn).acknowledge(
    {
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs.',
    },
    {
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
    },
    {
      id: 'AwsSolutions::AwsSolutions-L1',
      reason: 'The project is built and tested for the Node.js 22 runtime (see DESIGN.md).',
    },
    {
      id: 'Serverless::Serverless-LambdaLatestVersion',
      reason: 'The project is built and tested for the Node.js 22 runtime (see DESIGN.md).',
    },
  );
}
