// Bundles the CLI into dist/main.mjs: the workspace packages (TypeScript sources) and the small
// pure-JS libraries go in; the AWS SDK and dynalite (LevelDB, a native addon) stay external.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('./src/main.ts', import.meta.url).pathname],
  outfile: new URL('./dist/main.mjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['source'],
  // jsonc-parser's UMD build loads its parts with a dynamic require: take its ES module build.
  mainFields: ['module', 'main'],
  external: ['@aws-sdk/*', 'dynalite'],
  // Bundled CommonJS (commander, cli-progress) calls require() for Node built-ins.
  banner: {
    js: "import { createRequire as __cliCreateRequire } from 'node:module'; const require = __cliCreateRequire(import.meta.url);",
  },
  sourcemap: true,
  logLevel: 'warning',
});
