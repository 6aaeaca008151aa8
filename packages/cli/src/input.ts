/**
 * Reading a value: from the argument, from `--file`, or from stdin (`-`), so that secrets need
 * not sit in shell history. Errors name the source and the position, never the content.
 */
import { readFile } from 'node:fs/promises';
import { type ParseError, parse, printParseErrorCode } from 'jsonc-parser';
import { usageError } from './errors.ts';

export interface ValueSource {
  readonly json?: string;
  readonly file?: string;
}

export async function readValueText(
  source: ValueSource,
  stdin: NodeJS.ReadableStream,
): Promise<{ text: string; origin: string }> {
  if (source.json !== undefined && source.file !== undefined) {
    throw usageError('give the value either as an argument or with --file, not both');
  }
  if (source.file !== undefined) {
    try {
      return { text: await readFile(source.file, 'utf8'), origin: source.file };
    } catch (error) {
      throw usageError(`cannot read ${source.file}: ${(error as NodeJS.ErrnoException).code}`);
    }
  }
  if (source.json === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
    return { text: Buffer.concat(chunks).toString('utf8'), origin: 'stdin' };
  }
  if (source.json === undefined) {
    throw usageError('missing value: give JSON as an argument, - to read stdin, or --file <path>');
  }
  return { text: source.json, origin: 'the argument' };
}

/** jsonc-parser's error codes in words a user reads. */
const PARSE_ERRORS: Readonly<Record<string, string>> = {
  InvalidSymbol: 'an unexpected character (field names and strings take double quotes)',
  InvalidNumberFormat: 'a malformed number',
  PropertyNameExpected: 'a field name in double quotes was expected',
  ValueExpected: 'a value was expected',
  ColonExpected: 'a colon was expected',
  CommaExpected: 'a comma was expected',
  CloseBraceExpected: 'a closing } was expected',
  CloseBracketExpected: 'a closing ] was expected',
  EndOfFileExpected: 'nothing more was expected after the value',
  InvalidCommentToken: 'comments are not JSON',
  UnexpectedEndOfComment: 'comments are not JSON',
  UnexpectedEndOfString: 'a string is not closed',
  UnexpectedEndOfNumber: 'a number is cut short',
  InvalidUnicode: 'a malformed \\u escape',
  InvalidEscapeCharacter: 'a malformed escape',
  InvalidCharacter: 'a control character inside a string',
};

/** Parses strict JSON; an error says where (line, column, position) and what, never the text. */
export function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const errors: ParseError[] = [];
    parse(text, errors, {
      disallowComments: true,
      allowTrailingComma: false,
      allowEmptyContent: false,
    });
    const first = errors[0];
    if (!first) throw usageError(`invalid JSON in ${origin}`);
    const before = text.slice(0, first.offset);
    const line = before.split('\n').length;
    const column = first.offset - before.lastIndexOf('\n');
    const code = printParseErrorCode(first.error);
    // Shells eat double quotes and split on spaces: the commonest cause of an invalid argument.
    const hint =
      origin === 'the argument'
        ? `; in a shell, put the JSON in single quotes: '{"token":"abc"}'`
        : '';
    throw usageError(
      `invalid JSON in ${origin} at line ${line}, column ${column} (position ${first.offset}): ${PARSE_ERRORS[code] ?? 'not JSON'}${hint}`,
    );
  }
}

/** The value of put/patch: JSON of an object. */
export async function readValue(
  source: ValueSource,
  stdin: NodeJS.ReadableStream,
): Promise<object> {
  const { text, origin } = await readValueText(source, stdin);
  const value = parseJson(text, origin);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw usageError(`the value must be a JSON object (a hash of fields), ${origin} holds ${kind}`);
  }
  return value;
}

/** `--fields a,b` as a list. */
export function parseFields(fields: string | undefined): string[] | undefined {
  if (fields === undefined) return undefined;
  const list = fields.split(',').map((field) => field.trim());
  if (list.some((field) => field === ''))
    throw usageError('--fields takes names separated by commas');
  return list;
}
