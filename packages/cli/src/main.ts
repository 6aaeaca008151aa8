/**
 * `secrets-store`: the secrets store from the shell.
 *
 * Exit codes: 0 ok, 1 not found (`exists`), 2 usage or bad input, 3 store error.
 */
import { Command, CommanderError, Option } from 'commander';
import {
  deleteCommand,
  existsCommand,
  getCommand,
  type Io,
  listCommand,
  patchCommand,
  purgeCommand,
  putCommand,
} from './commands.ts';
import { runDemo } from './demo/demo.ts';
import { describeError, EXIT, exitCodeOf, usageError } from './errors.ts';
import { DEFAULT_LOCAL_DIR, openLocalStoreDir } from './local/localStore.ts';
import { openTarget, type Target, type TargetOptions } from './target.ts';

const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  not found (exists)
  2  usage: unknown command, missing argument, invalid JSON, invalid key or value
  3  store error: AWS, the local store, decryption, the key file`;

function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command('secrets-store')
    .description(
      'Read and write secrets: in AWS (DynamoDB + KMS), or in a local store (dynalite + local keyring).',
    )
    .option('--local [dir]', 'use the local store in dir (created on first use)', false)
    .option('--table <name>', 'DynamoDB table (default: $SECRETS_STORE_TABLE)')
    .option('--key-id <id>', 'KMS key ARN, id or alias (default: $SECRETS_STORE_KEY_ID)')
    .option(
      '--namespace <namespace>',
      'app installation (default: $SECRETS_STORE_NAMESPACE, or "local" with --local)',
    )
    .option('--region <region>', 'AWS region (default: the SDK configuration)')
    .option('--endpoint <url>', 'DynamoDB endpoint, e.g. a DynamoDB Local')
    .addHelpText('after', EXIT_CODES_HELP)
    .allowExcessArguments()
    .action((_options, command: Command) => {
      // Reached when no subcommand matched: `--local [dir]` may have taken a word as its folder.
      const [first] = command.args;
      throw usageError(
        first === undefined
          ? 'no command given; see secrets-store --help'
          : `unknown command '${first}'; see secrets-store --help`,
      );
    })
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  /** Opens the target for one command, runs it, and always closes the target. */
  const withTarget =
    <Args extends unknown[]>(action: (target: Target, ...args: Args) => Promise<number>) =>
    async (...args: Args) => {
      const command = args.at(-1) as Command;
      const target = await openTarget(command.optsWithGlobals<TargetOptions>());
      try {
        setExitCode(await action(target, ...args));
      } finally {
        await target.close();
      }
    };

  const valueHelp = (name: string, example: string) => `
A value is a JSON object: as the argument, - to read stdin, or --file <path>.

Example:
  $ secrets-store --local ${name} authToken '${example}'
  $ printf '%s' '${example}' | secrets-store --local ${name} authToken -`;

  program
    .command('get')
    .description('print a secret as JSON ({} when absent)')
    .argument('<key>', 'the secret key')
    .option('--fields <names>', 'only these fields, separated by commas')
    .addHelpText('after', '\nExample:\n  $ secrets-store --local get authToken --fields token')
    .action(
      withTarget((target, key: string, options: { fields?: string }) =>
        getCommand(target, key, options.fields, io),
      ),
    );

  program
    .command('put')
    .description('store a secret, replacing what was there; prints true')
    .argument('<key>', 'the secret key')
    .argument('[json]', 'the value as JSON, or - for stdin')
    .option('--file <path>', 'read the value from a file')
    .addHelpText('after', valueHelp('put', '{"token":"abc","siteId":123}'))
    .action(
      withTarget((target, key: string, json: string | undefined, options: { file?: string }) =>
        putCommand(target, key, { json, file: options.file }, io),
      ),
    );

  program
    .command('patch')
    .description('merge fields into a secret atomically; prints the previous value')
    .argument('<key>', 'the secret key')
    .argument('[json]', 'the fields as JSON, or - for stdin')
    .option('--file <path>', 'read the fields from a file')
    .addHelpText('after', valueHelp('patch', '{"token":"refreshed"}'))
    .action(
      withTarget((target, key: string, json: string | undefined, options: { file?: string }) =>
        patchCommand(target, key, { json, file: options.file }, io),
      ),
    );

  program
    .command('delete')
    .description('delete a secret, or only some of its fields; prints true')
    .argument('<key>', 'the secret key')
    .option('--fields <names>', 'delete only these fields, separated by commas')
    .addHelpText('after', '\nExample:\n  $ secrets-store --local delete authToken --fields siteId')
    .action(
      withTarget((target, key: string, options: { fields?: string }) =>
        deleteCommand(target, key, options.fields, io),
      ),
    );

  program
    .command('exists')
    .description('print true or false; exits 1 when the secret does not exist')
    .argument('<key>', 'the secret key')
    .addHelpText(
      'after',
      '\nExample:\n  $ secrets-store --local exists authToken && echo "already authenticated"',
    )
    .action(withTarget((target, key: string) => existsCommand(target, key, io)));

  program
    .command('list')
    .description('print the keys of the namespace as a JSON array (never decrypts)')
    .addHelpText('after', '\nExample:\n  $ secrets-store --local --namespace my-app:1 list')
    .action(withTarget((target) => listCommand(target, io)));

  program
    .command('purge')
    .description('delete every secret of the namespace, as uninstall does')
    .addOption(new Option('--yes', 'confirm the deletion'))
    .addHelpText('after', '\nExample:\n  $ secrets-store --local --namespace my-app:1 purge --yes')
    .action(
      withTarget((target, options: { yes?: boolean }) => purgeCommand(target, options.yes, io)),
    );

  program
    .command('demo')
    .description(
      'run the example app against a fresh local store (or AWS with SECRETS_STORE_* set)',
    )
    .addHelpText('after', '\nExample:\n  $ secrets-store demo')
    .action(async () => {
      setExitCode(await runDemo(io));
    });

  return program;
}

/**
 * `--local` takes an optional folder, so `--local get k` would read "get" as the folder. A bare
 * `--local` followed by a command name (or nothing, or another option) means the default folder.
 */
export function normalizeLocalFlag(argv: readonly string[], commands: readonly string[]): string[] {
  return argv.map((arg, index) => {
    const next = argv[index + 1];
    const bare =
      arg === '--local' && (next === undefined || next.startsWith('-') || commands.includes(next));
    return bare ? `--local=${DEFAULT_LOCAL_DIR}` : arg;
  });
}

/**
 * One line for a failure that escaped every handler (a crash inside dynalite while it reads a
 * damaged database, say), naming the local store when one is open.
 */
export function describeUncaught(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const dir = openLocalStoreDir();
  return dir ? `the local store in ${dir} failed (corrupt or unreadable?): ${message}` : message;
}

/** Runs the CLI with `argv` (without node and script) and resolves to its exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    const commands = program.commands.map((command) => command.name());
    await program.parseAsync(normalizeLocalFlag(argv, commands), { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its one-line message (or the help).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.stderr.write(`secrets-store: ${describeError(error)}\n`);
    return exitCodeOf(error);
  }
}
