/** What the benchmarks share: statistics, tables and the machine they ran on. */
import { cpus, totalmem } from 'node:os';

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

export type Row = Record<string, string | number | boolean>;

/**
 * The store's call beside the raw SDK call, alternating call by call (ABAB, then BABA) so that a
 * server that slows down or speeds up (dynalite's LevelDB compacts now and then) weighs on both
 * alike: a warm-up round, then the median of `rounds` rounds of `perRound` calls of each side,
 * in microseconds per call.
 */
export async function sideBySide(
  ours: () => Promise<unknown>,
  raw: () => Promise<unknown>,
  perRound: number,
  rounds: number,
): Promise<{ oursUs: number; rawUs: number }> {
  const round = async () => {
    let oursMs = 0;
    let rawMs = 0;
    for (let index = 0; index < perRound; index++) {
      const order = index % 2 === 0 ? [ours, raw] : [raw, ours];
      for (const operation of order) {
        const started = performance.now();
        await operation();
        const elapsed = performance.now() - started;
        if (operation === ours) oursMs += elapsed;
        else rawMs += elapsed;
      }
    }
    return { ours: (oursMs * 1000) / perRound, raw: (rawMs * 1000) / perRound };
  };
  await round(); // warm-up
  const measured: { ours: number; raw: number }[] = [];
  for (let index = 0; index < rounds; index++) measured.push(await round());
  return {
    oursUs: median(measured.map((entry) => entry.ours)),
    rawUs: median(measured.map((entry) => entry.raw)),
  };
}

/** A plain-text table: left-aligned text, right-aligned numbers. */
export function table(title: string, rows: readonly Row[]): string {
  if (rows.length === 0) return `${title}\n  (no rows)\n`;
  const columns = Object.keys(rows[0] as Row);
  const cell = (value: unknown) => (typeof value === 'number' ? format(value) : String(value));
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => cell(row[column]).length)),
  );
  const line = (values: string[], numeric: boolean[]) =>
    `  ${values.map((value, index) => (numeric[index] ? value.padStart(widths[index] ?? 0) : value.padEnd(widths[index] ?? 0))).join('  ')}`;
  const numeric = columns.map((column) => typeof (rows[0] as Row)[column] === 'number');
  return [
    title,
    line(columns, numeric),
    line(
      widths.map((width) => '-'.repeat(width)),
      numeric,
    ),
    ...rows.map((row) =>
      line(
        columns.map((column) => cell(row[column])),
        numeric,
      ),
    ),
    '',
  ].join('\n');
}

function format(value: number): string {
  if (Number.isInteger(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function machine(): Record<string, string | number> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}
