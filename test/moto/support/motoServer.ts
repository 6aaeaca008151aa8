/**
 * moto's server (Apache-2.0; the Python package `moto`, `python3 -m moto.server`) on a free
 * loopback port: DynamoDB, KMS, SQS and EventBridge behind one endpoint, for the moto tier
 * (`npm run test:moto`). Nothing installs it: it is on the CI image, and `scripts/test-moto.mjs`
 * says so and skips the tier when it is missing outside CI.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

export interface RunningMoto {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Any region and credentials do: moto checks neither. */
export const MOTO_REGION = 'us-east-1'; // the region of localDynamoDBClient: moto keeps one state per region
export const MOTO_CREDENTIALS = { accessKeyId: 'moto', secretAccessKey: 'moto' } as const;

/** Whether `python3 -m moto.server` can run here; the reason when it cannot. */
export function motoMissing(): string | undefined {
  const probe = spawnSync('python3', ['-c', 'import moto.server, sys; print(moto.__version__)'], {
    encoding: 'utf8',
  });
  if (probe.error) return `python3 cannot run (${probe.error.message})`;
  if (probe.status !== 0) return 'the Python package moto is not installed';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

export async function startMoto(): Promise<RunningMoto> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'python3',
    ['-m', 'moto.server', '-p', String(port), '-H', '127.0.0.1'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    // Its request log goes to stderr; keep the tail for an error message only.
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${endpoint}/moto-api/`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`moto's server did not start on ${endpoint}: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
