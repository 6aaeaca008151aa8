/**
 * The metrics recipe: each operation's message becomes `addMetric` calls on any object that has
 * one (Powertools Metrics fits: test/types/observability.types.ts), and unsubscribing stops them.
 */
import { type MetricsSink, recordOperationMetrics } from '@secrets-store/core';
import { createTestStore } from '@secrets-store/core/testing';
import { describe, expect, it } from 'vitest';

function recordingSink(): MetricsSink & { calls: [string, string, number][] } {
  const calls: [string, string, number][] = [];
  return { calls, addMetric: (name, unit, value) => void calls.push([name, unit, value]) };
}

describe('recordOperationMetrics', () => {
  it('adds, per operation, its count, its duration and the requests it cost', async () => {
    const store = createTestStore({ valueCache: {}, clientConfig: { maxAttempts: 1 } });
    const sink = recordingSink();
    const stop = recordOperationMetrics(sink);
    try {
      await store.put('a', { v: 1 });
      await store.get('a');
      store.table.failNext('GetItem', 'InternalServerError');
      await expect(store.get('a', { forceFetch: true })).rejects.toMatchObject({ code: 'STORAGE' });
    } finally {
      stop();
    }
    await store.get('a', { forceFetch: true }); // after stop(): nothing
    expect(sink.calls).toEqual([
      ['SecretsStore.put', 'Count', 1],
      ['SecretsStore.put.durationMs', 'Milliseconds', expect.any(Number)],
      ['SecretsStore.dynamodb.requests', 'Count', 1],
      ['SecretsStore.get', 'Count', 1],
      ['SecretsStore.get.durationMs', 'Milliseconds', expect.any(Number)],
      ['SecretsStore.valueCache.hits', 'Count', 1],
      ['SecretsStore.get', 'Count', 1],
      ['SecretsStore.get.durationMs', 'Milliseconds', expect.any(Number)],
      ['SecretsStore.get.errors', 'Count', 1],
      ['SecretsStore.dynamodb.requests', 'Count', 1],
    ]);
  });

  it('takes a prefix', async () => {
    const store = createTestStore();
    const sink = recordingSink();
    const stop = recordOperationMetrics(sink, { prefix: 'Tokens' });
    await store.exists('a').finally(stop);
    expect(sink.calls.map(([name]) => name)).toEqual([
      'Tokens.exists',
      'Tokens.exists.durationMs',
      'Tokens.dynamodb.requests',
    ]);
  });
});
