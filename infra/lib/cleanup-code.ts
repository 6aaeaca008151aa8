/**
 * The cleanup Lambda's code: the bundle that the package's build puts in
 * `assets/cleanup-function/` (`npm run build -w @secrets-store/infra`, run by `prepack` and by the
 * repository's `prepare`). A ready asset, so that `cdk synth` in a user's app needs neither
 * esbuild, Docker, nor this repository.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** `assets/cleanup-function/`: the same path from `lib/*.ts` (in the repo) and `dist/*.js`. */
export const CLEANUP_ASSET_DIRECTORY = fileURLToPath(
  new URL('../assets/cleanup-function/', import.meta.url),
);

/** The bundle's source map is read by Node when NODE_OPTIONS says so. */
export const CLEANUP_ENVIRONMENT = { NODE_OPTIONS: '--enable-source-maps' } as const;

/** The code and handler of the cleanup function, from the prebuilt asset. */
export function cleanupFunctionCode(): { readonly code: lambda.Code; readonly handler: string } {
  if (!existsSync(`${CLEANUP_ASSET_DIRECTORY}index.mjs`)) {
    throw new Error(
      `The cleanup function's bundle is missing from ${CLEANUP_ASSET_DIRECTORY}: build it with "npm run build -w @secrets-store/infra"`,
    );
  }
  return { code: lambda.Code.fromAsset(CLEANUP_ASSET_DIRECTORY), handler: 'index.handler' };
}
