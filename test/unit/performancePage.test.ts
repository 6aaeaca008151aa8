import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PAGE_PATH, RESULTS_PATH, renderPerformancePage } from '../../bench/performancePage.ts';

describe('docs/performance.md', () => {
  it('is the page generated from bench/results/latest.json (run npm run docs:performance)', () => {
    const results = JSON.parse(readFileSync(RESULTS_PATH, 'utf8'));
    expect(readFileSync(PAGE_PATH, 'utf8')).toBe(renderPerformancePage(results));
  });

  it('shows a section it has no introduction for, under its name, with every column', () => {
    const page = renderPerformancePage({
      date: '2026-01-01T00:00:00.000Z',
      machine: { cores: 2 },
      aNewBenchmark: [
        { operation: 'x', 'calls per expiry': 1, meets: true },
        { operation: 'y | z', ratio: 1.23456, meets: false, extra: null },
      ],
    });
    expect(page).toContain(
      [
        '## aNewBenchmark',
        '',
        '| operation | calls per expiry | meets | ratio | extra |',
        '|---|---|---|---|---|',
        '| x | 1 | yes | - | - |',
        '| y \\| z | - | no | 1.23 | - |',
      ].join('\n'),
    );
    expect(page).toContain('Run of 2026-01-01T00:00:00.000Z on cores 2.');
  });

  it('rounds figures to three significant digits at most', () => {
    const page = renderPerformancePage({
      figures: [{ a: 7586.616, b: 33.444, c: 1.5451, d: 0.016237, e: 104 }],
    });
    expect(page).toContain('| 7587 | 33.4 | 1.55 | 0.0162 | 104 |');
  });
});
