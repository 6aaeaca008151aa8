/**
 * What each command does once its target is open. Values go to stdout as JSON; nothing else does.
 */
import { purgeNamespace } from '@secrets-store/core';
import { CliError, EXIT, usageError } from './errors.ts';
import { parseFields, readValue, type ValueSource } from './input.ts';
import { printJson } from './output.ts';
import { startProgress } from './progress.ts';
import type { Target } from './target.ts';

export interface Io {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

/**
 * One key: its value ({} when absent). Several: one object keyed by name, from one batch read
 * (`getMany`), holding the keys that exist. `raw`: one key's one field, as text for a pipe.
 */
export async function getCommand(
  target: Target,
  keys: readonly string[],
  options: { readonly fields?: string; readonly raw?: boolean },
  io: Io,
) {
  const fields = parseFields(options.fields);
  const [only] = keys;
  if (!options.raw) {
    if (keys.length === 1 && only !== undefined) {
      printJson(await target.store.get(only, fields), io.stdout);
    } else {
      const found = await target.store.getMany(keys, { fields });
      printJson(Object.fromEntries(found), io.stdout);
    }
    return EXIT.ok;
  }
  // Precondition: raw output is one value, so that a pipe gets exactly the field's text.
  if (keys.length !== 1 || only === undefined || fields?.length !== 1) {
    throw usageError(
      '--raw prints one field of one secret: name one key and the field with --fields, e.g. get authToken --fields token --raw',
    );
  }
  const [field] = fields as [string];
  const value = await target.store.get<Record<string, unknown>>(only, fields);
  if (!Object.hasOwn(value, field)) {
    throw new CliError(
      `secret ${JSON.stringify(only)} has no field ${JSON.stringify(field)}`,
      EXIT.notFound,
    );
  }
  const text = value[field];
  // As credstash -n: the text itself, no quotes, no newline; other JSON values as compact JSON.
  io.stdout.write(typeof text === 'string' ? text : JSON.stringify(text));
  return EXIT.ok;
}

export async function putCommand(target: Target, key: string, source: ValueSource, io: Io) {
  const value = await readValue(source, io.stdin);
  printJson(await target.store.put(key, value as Record<string, never>), io.stdout);
  return EXIT.ok;
}

export async function patchCommand(target: Target, key: string, source: ValueSource, io: Io) {
  const value = await readValue(source, io.stdin);
  printJson(await target.store.patch(key, value as Record<string, never>), io.stdout);
  return EXIT.ok;
}

export async function deleteCommand(
  target: Target,
  key: string,
  fields: string | undefined,
  io: Io,
) {
  printJson(await target.store.delete(key, parseFields(fields)), io.stdout);
  return EXIT.ok;
}

export async function existsCommand(target: Target, key: string, io: Io) {
  const found = await target.store.exists(key);
  printJson(found, io.stdout);
  return found ? EXIT.ok : EXIT.notFound;
}

export async function listCommand(target: Target, io: Io) {
  const progress = startProgress('listing', io.stderr);
  const keys: string[] = [];
  try {
    for await (const key of target.store.keys()) {
      keys.push(key);
      if (keys.length % 100 === 0) progress.update(keys.length);
    }
  } finally {
    progress.stop();
  }
  printJson(keys, io.stdout);
  return EXIT.ok;
}

export async function purgeCommand(target: Target, yes: boolean | undefined, io: Io) {
  if (!yes) {
    throw usageError(
      `purge deletes every secret of namespace ${target.store.namespace} (${target.description}); add --yes to confirm`,
    );
  }
  const progress = startProgress('deleting', io.stderr);
  let deleted: number;
  try {
    ({ deleted } = await purgeNamespace({
      client: target.client,
      tableName: target.store.tableName,
      namespace: target.store.namespace,
      onProgress: (count) => progress.update(count),
    }));
  } finally {
    progress.stop(); // cleared before the result is printed
  }
  printJson({ namespace: target.store.namespace, deleted }, io.stdout);
  return EXIT.ok;
}
