/**
 * docs/performance.md, generated from bench/results/latest.json: figures in the documentation
 * come from a bench run only, never typed by hand. `npm run bench` (a full run) calls
 * {@link writePerformancePage}; `npm run docs:performance` regenerates the page from the JSON
 * already there; test/unit/performancePage.test.ts fails when page and JSON disagree.
 *
 * Every section of the JSON is shown, in the JSON's order, as a table of all its columns: a
 * section without an introduction here (a benchmark added later) still appears, under its name.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
export const RESULTS_PATH = join(ROOT, 'bench/results/latest.json');
export const PAGE_PATH = join(ROOT, 'docs/performance.md');

type Cell = string | number | boolean | null;
type Rows = Record<string, Cell>[];

/** What each known section measures, and against what goal. */
const SECTIONS: Record<string, { title: string; intro: string }> = {
  envelope: {
    title: '1. Envelope crypto',
    intro:
      "Seal + open of one value with a fresh data key, µs per operation (median of 3 runs). The floor is AES-256-GCM with a random data key wrapped under a local key, no HKDF, no commitment. Goals: within 2x of the floor, and at least 15x faster than the Encryption SDK's committing non-signing suite at 1 KB.",
  },
  roundTrips: {
    title: '2. AWS calls per operation',
    intro:
      "Counted by a middleware on the real DynamoDB and KMS clients, over HTTP to dynalite and to a loopback stand-in that speaks KMS's protocol. `design` is the contract's count; the unit tests pin the same counts.",
  },
  conflictReads: {
    title: '2b. Reads per lost race',
    intro:
      'Two patchers in two stores racing for 20 rounds: reads beyond the first of each patch, with and without `ALL_OLD` (dynalite does not return the item on a failed condition; a loopback proxy, `test/support/dynamoProxy.ts`, answers as DynamoDB does).',
  },
  endToEnd: {
    title: '3. End to end on dynalite',
    intro:
      'Sequential operations, the store beside the raw SDK call on the same item, alternating call by call (median of 5 rounds). Goal: get and exists within 1.10x of the raw call with a warm cache. put pays for a new data key from the keyring (the KMS stand-in over HTTP here), a larger item and a longer `UpdateItem` expression (it shifts the history of write ids).',
  },
  reads: {
    title: '3b. Reads at scale on dynalite',
    intro:
      'The store beside the raw SDK call reading the same items, alternating call by call, µs per call (median of 5 rounds); the in-process MemoryTable row, free of the network and the server, shows what the store itself adds. The cold row counts keyring calls of two concurrent `getMany` of the same 100 keys in a new store.',
  },
  readPath: {
    title: '3c. Where a warm get spends its CPU',
    intro:
      "Each step of a warm `get` beyond its GetItem alone in a loop, µs per call (median of 5 loops). The SDK's unmarshalling of the binary attributes is the same work for the raw GetItem of the same item, so it is not part of the difference.",
  },
  contention: {
    title: '4. Contention',
    intro:
      'N patchers appending a unique id each to one secret through the `ALL_OLD` proxy (3 rounds, medians): from N warm stores at once (each its own clients and caches: N warm Lambda containers) beside the same N patches from one warm store one after another; and N concurrent patches in one warm store (group commit). Goals: 100 warm writers in separate stores within 4x; 100 patches in one store within 0.5x; every patch resolved, each id once. Where separate stores lag, the time goes mostly to idle backoff windows (a patch that lost a race waits before it reads again), not to server work.',
  },
  purge: {
    title: '5. Uninstall purge',
    intro:
      "The uninstall's conditional purge of 2,600 items beside a `BatchWriteItem` purge of the same items on the same server (median of 3). Goal: within 1.5x where the server has transactions, as DynamoDB does (dynalite has none: one conditional DeleteItem a key).",
  },
  coldStart: {
    title: '6. Cold start',
    intro:
      'A minimal handler that reads one secret through `storage.secrets`, bundled by esbuild (minified, ESM), and its import time in a fresh Node process. On Lambda the SDK is in the runtime (the external rows).',
  },
};

/** Three significant figures at most, as the bench's own tables print them. */
function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function cell(value: Cell | undefined): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return formatNumber(value);
  return value.replaceAll('|', '\\|');
}

function markdownTable(rows: Rows): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const header = `| ${columns.map((column) => cell(column.trim())).join(' | ')} |`;
  const rule = `|${columns.map(() => '---').join('|')}|`;
  const body = rows.map((row) => `| ${columns.map((column) => cell(row[column])).join(' | ')} |`);
  return [header, rule, ...body].join('\n');
}

/** The page for one bench run. */
export function renderPerformancePage(results: Record<string, unknown>): string {
  const machine = (results.machine ?? {}) as Record<string, Cell>;
  const lines = [
    '# Performance',
    '',
    '<!-- Generated from bench/results/latest.json by `npm run docs:performance` (and by a full',
    '     `npm run bench`). Do not edit by hand: a unit test compares this page with the JSON. -->',
    '',
    'Figures of one run of `npm run bench`, which runs every benchmark in one process, each',
    'comparison side by side, every figure a median of several runs. Benchmarks report; no test',
    'asserts a time. A noisy machine moves the figures from run to run, which is why each',
    'comparison runs both sides together. How to run them: [CONTRIBUTING.md](../CONTRIBUTING.md#benchmarks);',
    'what the operations cost in dollars: [cost.md](cost.md).',
    '',
    `Run of ${String(results.date ?? 'an unknown date')} on ${Object.entries(machine)
      .map(([name, value]) => `${name} ${cell(value)}`)
      .join(', ')}.`,
  ];
  for (const [name, value] of Object.entries(results)) {
    if (name === 'date' || name === 'machine' || !Array.isArray(value)) continue;
    const known = SECTIONS[name];
    lines.push('', `## ${known?.title ?? name}`, '');
    if (known) lines.push(known.intro, '');
    lines.push(value.length === 0 ? '(no rows)' : markdownTable(value as Rows));
  }
  return `${lines.join('\n')}\n`;
}

/** Writes docs/performance.md for `results` (by default, what bench/results/latest.json holds). */
export function writePerformancePage(results?: Record<string, unknown>): void {
  const data = results ?? JSON.parse(readFileSync(RESULTS_PATH, 'utf8'));
  writeFileSync(PAGE_PATH, renderPerformancePage(data));
}

if (process.argv[1] === import.meta.filename) {
  writePerformancePage();
  process.stdout.write(`Written ${PAGE_PATH} from ${RESULTS_PATH}\n`);
}
