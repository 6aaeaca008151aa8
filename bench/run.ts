/**
 * `npm run bench`: every benchmark in one process, side by side, then a table per benchmark and
 * bench/results/latest.json. Benchmarks report; they assert nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { coldStartBenchmark } from './coldStart.ts';
import { contentionBenchmark } from './contention.ts';
import { endToEndBenchmark } from './endToEnd.ts';
import { envelopeBenchmark } from './envelope.ts';
import { writePerformancePage } from './performancePage.ts';
import { purgeBenchmark } from './purge.ts';
import { readPathBenchmark } from './readPath.ts';
import { readsBenchmark } from './reads.ts';
import { refreshBenchmark } from './refresh.ts';
import { roundTripBenchmark } from './roundTrips.ts';
import { startServers } from './servers.ts';
import { machine, type Row, table } from './support.ts';

const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.includes(name);
const results: Record<string, unknown> = { date: new Date().toISOString(), machine: machine() };
const print = (title: string, rows: Row[]) => process.stdout.write(`${table(title, rows)}\n`);

process.stdout.write(`${table('Machine', [machine()])}\n`);
if (wanted('envelope')) {
  results.envelope = await envelopeBenchmark();
  print(
    '1. Envelope crypto, seal + open with a fresh data key (median of 3 runs)',
    results.envelope as Row[],
  );
}
const servers = await startServers();
try {
  if (wanted('round-trips')) {
    const { operations, conflict } = await roundTripBenchmark(servers);
    results.roundTrips = operations;
    results.conflictReads = conflict;
    print('2. AWS calls per operation (middleware counts on the real clients)', operations);
    print('   Two patchers racing, 20 rounds: reads beyond the first of each patch', conflict);
  }
  if (wanted('end-to-end')) {
    results.endToEnd = await endToEndBenchmark(servers);
    print(
      '3. End to end on dynalite, sequential ops/s (median of 5 rounds)',
      results.endToEnd as Row[],
    );
  }
  if (wanted('reads')) {
    results.reads = await readsBenchmark(servers);
    print(
      '3b. Reads at scale on dynalite, side by side with the raw SDK call (median of 5 rounds)',
      results.reads as Row[],
    );
  }
  if (wanted('read-path')) {
    results.readPath = await readPathBenchmark(servers);
    print(
      '3c. CPU of the steps of a warm get beyond its GetItem (median of 5 loops)',
      results.readPath as Row[],
    );
  }
  if (wanted('contention')) {
    results.contention = await contentionBenchmark(servers);
    print('4. Concurrent patchers of one counter (3 rounds each)', results.contention as Row[]);
  }
  if (wanted('refresh')) {
    results.refresh = await refreshBenchmark(servers);
    print(
      '4b. Coordinated refresh: upstream calls, the cost of a fresh refresh, waiting for a holder',
      results.refresh as Row[],
    );
  }
  if (wanted('purge')) {
    results.purge = await purgeBenchmark(servers);
    print(
      '5. Uninstall purge (conditional deletes) vs BatchWriteItem purge of 2,600 items, same server (median of 3)',
      results.purge as Row[],
    );
  }
} finally {
  await servers.stop();
}
if (wanted('cold-start')) {
  results.coldStart = await coldStartBenchmark();
  print('6. Cold start: a handler that reads one secret', results.coldStart as Row[]);
}
if (only.length === 0) {
  const directory = join(import.meta.dirname, 'results');
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write('Written to bench/results/latest.json\n');
  // The documentation's figures come from this run only, read back from the JSON just written
  // so that the page is exactly what test/unit/performancePage.test.ts renders from it.
  writePerformancePage();
  process.stdout.write('Written to docs/performance.md\n');
}
