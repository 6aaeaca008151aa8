/**
 * A recipe without dependencies: the messages of `secrets-store:operation` as metrics, for
 * Powertools Metrics or anything else with an `addMetric(name, unit, value)` (a structural type:
 * this package imports nothing of Powertools). docs/observability.md maps the same figures to
 * OpenTelemetry instruments.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { OperationMessage } from './operationChannel.ts';
import { OPERATION_CHANNEL } from './operationMeter.ts';

/** What the recipe needs of Powertools' `Metrics` (its `addMetric`), or of any other sink. */
export interface MetricsSink {
  addMetric(name: string, unit: 'Count' | 'Milliseconds', value: number): void;
}

/** One metric of one message. */
export interface OperationMetric {
  readonly name: string;
  readonly unit: 'Count' | 'Milliseconds';
  readonly value: number;
}

export interface OperationMetricsOptions {
  /** Prefix of every metric name. @default 'SecretsStore' */
  readonly prefix?: string;
}

/**
 * The metrics of one message: per operation, a count, its errors and its duration (`get`,
 * `get.errors`, `get.durationMs`); for all operations, the requests and capacity units they
 * cost and the value cache's hits and misses. Zero counts are left out, except the operation's.
 */
export function operationMetrics(
  message: OperationMessage,
  options: OperationMetricsOptions = {},
): OperationMetric[] {
  const prefix = options.prefix ?? 'SecretsStore';
  const metrics: OperationMetric[] = [
    { name: `${prefix}.${message.operation}`, unit: 'Count', value: 1 },
    {
      name: `${prefix}.${message.operation}.durationMs`,
      unit: 'Milliseconds',
      value: message.durationMs,
    },
  ];
  const counts: [string, number][] = [
    [`${message.operation}.errors`, message.outcome === 'ok' ? 0 : 1],
    ['retries', message.attempts - 1],
    ['dynamodb.requests', message.dynamodb.requests],
    ['dynamodb.readUnits', message.dynamodb.readUnits],
    ['dynamodb.writeUnits', message.dynamodb.writeUnits],
    ['kms.requests', message.kms.requests],
    ['valueCache.hits', message.valueCache === 'hit' ? 1 : 0],
    ['valueCache.misses', message.valueCache === 'miss' ? 1 : 0],
  ];
  for (const [name, value] of counts) {
    if (value !== 0) metrics.push({ name: `${prefix}.${name}`, unit: 'Count', value });
  }
  return metrics;
}

/**
 * Subscribes `metrics` to every operation's message; returns the function that unsubscribes.
 *
 * @example
 * import { Metrics } from '@aws-lambda-powertools/metrics';
 * import { recordOperationMetrics } from '@secrets-store/core';
 * const metrics = new Metrics({ namespace: 'my-app', serviceName: 'orders' });
 * recordOperationMetrics(metrics); // once, at module scope; flush as usual (logMetrics)
 */
export function recordOperationMetrics(
  metrics: MetricsSink,
  options: OperationMetricsOptions = {},
): () => void {
  const listener = (message: unknown) => {
    for (const metric of operationMetrics(message as OperationMessage, options)) {
      metrics.addMetric(metric.name, metric.unit, metric.value);
    }
  };
  diagnosticsChannel.subscribe(OPERATION_CHANNEL, listener);
  return () => {
    diagnosticsChannel.unsubscribe(OPERATION_CHANNEL, listener);
  };
}
