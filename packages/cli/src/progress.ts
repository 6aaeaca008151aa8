/**
 * A live counter on stderr for long `list`, `purge`, `rewrap` and `rotate-key` runs, drawn by
 * cli-progress, only when stderr is a terminal: piped output stays clean.
 */
import { Presets, SingleBar } from 'cli-progress';

export interface Progress {
  update(count: number): void;
  stop(): void;
}

export function startProgress(
  label: string,
  stderr: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!stderr.isTTY) return { update: () => {}, stop: () => {} };
  // The total is unknown until the last page: count up, with the rate and elapsed time.
  const bar = new SingleBar(
    {
      format: `${label} {value} secrets | {duration_formatted}`,
      stream: stderr,
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    Presets.shades_classic,
  );
  bar.start(0, 0);
  return {
    update: (count) => bar.update(count),
    stop: () => bar.stop(),
  };
}
