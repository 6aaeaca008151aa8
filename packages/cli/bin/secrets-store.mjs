#!/usr/bin/env node
// The SDK warns that its 2027 releases will need Node 22; on the CLI's stderr that is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { run, describeUncaught } = await import('../dist/main.mjs');

// Never a stack trace: anything that escapes (a failure inside dynalite, say) is one line.
const fail = (error) => {
  process.stderr.write(`secrets-store: ${describeUncaught(error)}\n`);
  process.exit(3);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

process.exitCode = await run(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
