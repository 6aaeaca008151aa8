/**
 * Starts the refresh workers (worker.ts) as separate processes, each with its own SDK clients,
 * running the repository's TypeScript through tsx with the `source` condition.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { CallerOutcome, WorkerConfig } from './worker.ts';

const WORKER = join(import.meta.dirname, 'worker.ts');

export interface Worker {
  readonly child: ChildProcess;
  /** Resolves with the next line the worker prints. */
  nextLine(): Promise<string>;
}

export function startWorker(config: WorkerConfig): Worker {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', WORKER, JSON.stringify(config)],
    {
      cwd: join(import.meta.dirname, '../../..'),
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  const exited = new Promise<string>((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`the refresh worker exited (${code ?? signal}) before printing a line`)),
    );
  });
  exited.catch(() => {});
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else lines.push(line);
  });
  return {
    child,
    nextLine: () => {
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve(line);
      return Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), exited]);
    },
  };
}

/**
 * Starts `workers` processes, waits until each is ready, starts them all at once and resolves
 * to every caller's outcome.
 */
export async function runWorkers(
  workers: number,
  config: Omit<WorkerConfig, 'mode'>,
): Promise<CallerOutcome[]> {
  const started = Array.from({ length: workers }, () =>
    startWorker({ ...config, mode: 'refresh' }),
  );
  for (const worker of started) await expectLine(worker, 'ready');
  for (const worker of started) worker.child.stdin?.write('go\n');
  const outcomes: CallerOutcome[] = [];
  for (const worker of started) {
    outcomes.push(...(JSON.parse(await worker.nextLine()) as CallerOutcome[]));
  }
  return outcomes;
}

/** Waits for the worker's next line and checks that it is `expected`. */
export async function expectLine(worker: Worker, expected: string): Promise<void> {
  const line = await worker.nextLine();
  if (line !== expected) {
    throw new Error(`the refresh worker printed ${JSON.stringify(line)}, not ${expected}`);
  }
}
