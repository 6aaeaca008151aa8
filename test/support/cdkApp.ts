/**
 * A CDK app with the context of cdk.json (its feature flags), so that the tests synthesise what
 * `cdk synth` and `cdk deploy` do.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context?: Record<string, unknown>;
};

export function newApp(): App {
  return new App({ context: cdkJson.context ?? {} });
}
