/**
 * Bundling from this checkout's sources: only the repository's own stack uses it (the published
 * construct ships its cleanup function prebuilt, see lib/cleanup-code.ts).
 */
import { fileURLToPath } from 'node:url';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { functionDefaults } from '../lib/function-defaults.ts';

/** The repository root, for bundling the Lambda handlers from their sources. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The project's function defaults, bundled by esbuild from the workspace sources. */
export function bundledFunctionDefaults(
  retention: logs.RetentionDays | undefined,
  scope: Construct,
  id: string,
): Partial<nodejs.NodejsFunctionProps> {
  return {
    ...functionDefaults(retention, scope, id),
    projectRoot: REPOSITORY_ROOT,
    depsLockFilePath: `${REPOSITORY_ROOT}package-lock.json`,
    bundling: {
      format: nodejs.OutputFormat.ESM,
      target: 'node22',
      minify: true,
      sourceMap: true,
      // The workspace packages export TypeScript sources under the "source" condition.
      esbuildArgs: { '--conditions': 'source' },
      // The Node 22 runtime provides AWS SDK v3.
      externalModules: ['@aws-sdk/*'],
    },
  };
}
