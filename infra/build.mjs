// Builds the cleanup Lambda as a ready asset (packages/uninstall-handler bundled by esbuild into
// assets/cleanup-function/index.mjs), so that `cdk synth` in a user's app needs neither esbuild,
// Docker, nor this repository. `npm run build` runs it after tsc has compiled lib/ into dist/;
// `prepack` and the repository's `prepare` run that build (the repo's own stack deploys the same
// asset).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const here = (path) => new URL(path, import.meta.url).pathname;

rmSync(here('./assets'), { recursive: true, force: true });

await build({
  entryPoints: [here('../packages/uninstall-handler/src/handler.ts')],
  outfile: here('./assets/cleanup-function/index.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  sourcemap: true,
  // The workspace packages export TypeScript sources under the "source" condition.
  conditions: ['source'],
  // The Lambda Node.js 22 runtime provides AWS SDK v3.
  external: ['@aws-sdk/*'],
  logLevel: 'warning',
});
