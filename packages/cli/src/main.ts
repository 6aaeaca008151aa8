/**
 * `secrets-store`: the secrets store from the shell.
 *
 * Exit codes: 0 ok, 1 not found (`exists`), 2 usage or bad input, 3 store error.
 */
import { readFileSync, statSync } from 'node:fs';
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
import { DEFAULT_LOCAL_DIR, type LocalStoreAccess, openLocalStoreDir } from './local/localStore.ts';
import { type RewrapCommandOptions, rewrapCommand, rotateKeyCommand } from './rotationCommands.ts';
import { openTarget, type Target, type TargetOptions } from './target.ts';
import { reportOperations } from './verbose.ts';

/** The version of this package, from its package.json (shipped beside bin/ and dist/). */
function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(manifest.version);
}

const EXAMPLES_HELP = `
Examples:
  $ secrets-store --local put authToken '{"token":"abc","siteId":123}'
  $ secrets-store --local get authToken
  $ secrets-store --local=./other-store list
  $ SECRETS_STORE_TABLE=secrets SECRETS_STORE_KEY_ID=alias/secrets-store \\
      secrets-store --namespace my-app:1 get authToken`;

const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  not found (exists)
  2  usage: unknown command, missing argument, invalid JSON, invalid key or value
  3  store error: AWS, the local store, decryption, the key file`;

function buildProgram(
  io: Io,
  setExitCode: (code: number) => void,
  strayWords: ReadonlySet<string>,
): Command {
  const program = new Command('secrets-store')
    .description(
      'Read and write secrets: in AWS (DynamoDB + KMS), or in a local store (dynalite + local keyring).',
    )
    .option(
      '--local [dir]',
      `use the local store in dir (default: ./${DEFAULT_LOCAL_DIR}; the first write creates it)`,
    )
    .option('--table <name>', 'DynamoDB table (default: $SECRETS_STORE_TABLE)')
    .option('--key-id <id>', 'KMS key ARN, id or alias (default: $SECRETS_STORE_KEY_ID)')
    .option(
      '--namespace <namespace>',
      'app installation (default: $SECRETS_STORE_NAMESPACE, or "local" with --local)',
    )
    .option('--region <region>', 'AWS region (default: the SDK configuration, e.g. $AWS_REGION)')
    .option(
      '--endpoint <url>',
      'DynamoDB endpoint, e.g. dynalite (KMS keeps its own: $AWS_ENDPOINT_URL_KMS)',
    )
    .option(
      '-v, --verbose',
      'print one line per store operation on stderr: outcome, ms, requests and capacity units',
    )
    .version(cliVersion(), '-V, --version', 'print the version of secrets-store')
    .addHelpText('after', `${EXAMPLES_HELP}\n${EXIT_CODES_HELP}`)
    .allowExcessArguments()
    .action((_options, command: Command) => {
      // Reached when no subcommand matched (the program takes the words for its own arguments).
      const [first] = command.args;
      if (first === undefined) throw usageError('no command given; see secrets-store --help');
      const folderHint = strayWords.has(first)
        ? ` (a new local store folder is written --local ./${first} or --local=${first})`
        : '';
      throw usageError(`unknown command '${first}'${folderHint}; see secrets-store --help`);
    })
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Commander's own errors ("error: missing required argument 'key'") as one line with the
      // prefix of every other error.
      outputError: (text, write) =>
        write(
          `secrets-store: ${text
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    });

  /** With --verbose, a line per store operation on stderr until the returned function runs. */
  const reportIfVerbose = (command: Command): (() => void) | undefined =>
    command.optsWithGlobals<{ verbose?: boolean }>().verbose
      ? reportOperations(io.stderr)
      : undefined;

  /**
   * Opens the target for one command, runs it, and always closes the target. A `read` command
   * never creates a local store or a key.
   */
  const withTarget =
    <Args extends unknown[]>(
      action: (target: Target, ...args: Args) => Promise<number>,
      access: LocalStoreAccess = 'write',
    ) =>
    async (...args: Args) => {
      const command = args.at(-1) as Command;
      const target = await openTarget(
        command.optsWithGlobals<TargetOptions>(),
        process.env,
        access,
      );
      const stopReporting = reportIfVerbose(command);
      try {
        setExitCode(await action(target, ...args));
      } finally {
        stopReporting?.();
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
    .description(
      'print a secret as JSON ({} when absent); several keys: one object keyed by name, of those that exist (one batch read)',
    )
    .argument('<key...>', 'the secret key, or several')
    .option('--fields <names>', 'only these fields, separated by commas')
    .option(
      '-n, --raw',
      "print one field's value as it is, for pipes: a string without quotes, no newline (one key, with --fields and one name)",
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ secrets-store --local get authToken --fields token\n  $ secrets-store --local get authToken webhookUrl\n  $ TOKEN=$(secrets-store --local get authToken --fields token --raw)',
    )
    .action(
      withTarget(
        (target, keys: string[], options: { fields?: string; raw?: boolean }) =>
          getCommand(target, keys, options, io),
        'read',
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
    .action(withTarget((target, key: string) => existsCommand(target, key, io), 'read'));

  program
    .command('list')
    .description('print the keys of the namespace as a JSON array (never decrypts)')
    .addHelpText('after', '\nExample:\n  $ secrets-store --local --namespace my-app:1 list')
    .action(withTarget((target) => listCommand(target, io), 'read'));

  program
    .command('purge')
    .description('delete every secret of the namespace, as uninstall does')
    .addOption(new Option('--yes', 'confirm the deletion'))
    .addHelpText('after', '\nExample:\n  $ secrets-store --local --namespace my-app:1 purge --yes')
    .action(
      withTarget((target, options: { yes?: boolean }) => purgeCommand(target, options.yes, io)),
    );

  program
    .command('rewrap')
    .description(
      'move every secret of the namespace (or of all namespaces) to the current KMS key; prints a summary',
    )
    .option('--all-namespaces', 'every namespace of the table (a Scan of the table)')
    .option(
      '--previous-key-id <arn>',
      'a KMS key ARN the secrets may still be wrapped by; repeat for several (default: $SECRETS_STORE_PREVIOUS_KEY_IDS, comma-separated)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .addHelpText(
      'after',
      `
Exits 3 when any secret could not be moved (listed, without values); run it again once fixed.

Example:
  $ SECRETS_STORE_TABLE=secrets SECRETS_STORE_KEY_ID=arn:aws:kms:eu-west-1:111122223333:key/new \\
      secrets-store rewrap --all-namespaces \\
      --previous-key-id arn:aws:kms:eu-west-1:111122223333:key/old`,
    )
    .action(async (_options, command: Command) => {
      const stopReporting = reportIfVerbose(command);
      try {
        setExitCode(
          await rewrapCommand(command.optsWithGlobals<RewrapCommandOptions>(), process.env, io),
        );
      } finally {
        stopReporting?.();
      }
    });

  program
    .command('rotate-key')
    .description(
      'local store: make a new master key, re-wrap every secret with it, retire the old key',
    )
    .addHelpText(
      'after',
      `
The store stays usable throughout; after a crash, run it again: it finishes the same rotation.
The old key is kept in DIR/retired/.

Example:
  $ secrets-store --local ./.secrets-store rotate-key`,
    )
    .action(async (_options, command: Command) => {
      const stopReporting = reportIfVerbose(command);
      try {
        setExitCode(
          await rotateKeyCommand(command.optsWithGlobals<TargetOptions>(), process.env, io),
        );
      } finally {
        stopReporting?.();
      }
    });

  program
    .command('demo')
    .description(
      'run the example app against a fresh local store (or AWS with SECRETS_STORE_* set)',
    )
    .addHelpText('after', '\nExample:\n  $ secrets-store demo')
    .action(async () => {
      setExitCode(await runDemo(io));
    });

  // Every command takes exactly its arguments: an extra word is a mistake, not noise to drop.
  for (const command of program.commands) command.allowExcessArguments(false);
  return program;
}

/** A word that names a folder for sure: a path, or a folder that exists. */
function isFolderWord(word: string): boolean {
  if (/^[.~]|[\\/]/.test(word)) return true;
  try {
    return statSync(word).isDirectory();
  } catch {
    return false;
  }
}

/**
 * `--local` takes an optional folder, so `--local get k` would read "get" as the folder. A bare
 * `--local` followed by a command name (or nothing, or another option) means the default folder;
 * so does one followed by a plain word that is no existing folder (`--local frob`): that word
 * is then reported as an unknown command, not silently made a store. A new folder is written as
 * a path (`--local ./frob`) or `--local=frob`. Returns the words so treated.
 */
export function normalizeLocalFlag(
  argv: readonly string[],
  commands: readonly string[],
): { argv: string[]; strayWords: Set<string> } {
  const strayWords = new Set<string>();
  const normalized = argv.map((arg, index) => {
    if (arg !== '--local') return arg;
    const next = argv[index + 1];
    if (next === undefined || next.startsWith('-') || commands.includes(next)) {
      return `--local=${DEFAULT_LOCAL_DIR}`;
    }
    if (!isFolderWord(next)) {
      strayWords.add(next);
      return `--local=${DEFAULT_LOCAL_DIR}`;
    }
    return arg;
  });
  return { argv: normalized, strayWords };
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
  const strayWords = new Set<string>(); // filled below, read by the program's own action
  const program = buildProgram(
    io,
    (code) => {
      exitCode = code;
    },
    strayWords,
  );
  const commands = program.commands.map((command) => command.name());
  const normalized = normalizeLocalFlag(argv, commands);
  for (const word of normalized.strayWords) strayWords.add(word);
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    await program.parseAsync(normalized.argv, { from: 'user' });
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
