/**
 * Compile-time test: Powertools Metrics fits the recipe's structural type without an adapter.
 * `PowertoolsMetrics` copies the signature of `Metrics.addMetric` in
 * @aws-lambda-powertools/metrics 2.x (not a dependency of this repository).
 */
import { type MetricsSink, recordOperationMetrics } from '@secrets-store/core';

type MetricUnitType =
  | 'Seconds'
  | 'Microseconds'
  | 'Milliseconds'
  | 'Bytes'
  | 'Count'
  | 'Count/Second'
  | 'None';
type MetricResolutionType = 60 | 1;

declare class PowertoolsMetrics {
  addMetric(
    name: string,
    unit: MetricUnitType,
    value: number,
    resolution?: MetricResolutionType,
  ): void;
  addDimension(name: string, value: string): void;
}

export function fits(metrics: PowertoolsMetrics): () => void {
  const sink: MetricsSink = metrics;
  void sink;
  return recordOperationMetrics(metrics, { prefix: 'Secrets' });
}

// @ts-expect-error an object without addMetric is no sink
recordOperationMetrics({ putMetric: () => {} });
