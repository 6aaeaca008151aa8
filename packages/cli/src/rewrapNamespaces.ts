/**
 * The walk shared by `rewrap` and `rotate-key`: `store.rewrap()` for each namespace, one running
 * count for the progress bar, and a summary for stdout that lists failed keys, never values.
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Keyring, SecretsStore } from '@secrets-store/core';

export interface NamespaceSummary {
  readonly namespace: string;
  readonly moved: number;
  readonly alreadyCurrent: number;
  readonly failed: number;
}

export interface FailedSecret {
  readonly namespace: string;
  readonly key: string;
  /** The store error's stable code and message (which never hold a value). */
  readonly code: string;
  readonly message: string;
}

export interface RewrapReport {
  readonly namespaces: readonly NamespaceSummary[];
  readonly moved: number;
  readonly alreadyCurrent: number;
  readonly failed: number;
  readonly failures: readonly FailedSecret[];
}

export interface RewrapNamespacesOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly keyring: Keyring;
  readonly namespaces: readonly string[];
  /** Secrets moved at once, per namespace. */
  readonly concurrency: number;
  /** Called after each secret with the count of secrets done so far, across namespaces. */
  readonly onProgress?: (done: number) => void;
}

export async function rewrapNamespaces(options: RewrapNamespacesOptions): Promise<RewrapReport> {
  const summaries: NamespaceSummary[] = [];
  const failures: FailedSecret[] = [];
  const [first] = options.namespaces;
  if (first === undefined)
    return { namespaces: [], moved: 0, alreadyCurrent: 0, failed: 0, failures };
  // One store for the table; forNamespace shares its clients and data-key cache.
  const store = new SecretsStore({
    tableName: options.tableName,
    namespace: first,
    keyring: options.keyring,
    client: options.client,
  });
  let doneBefore = 0;
  for (const namespace of options.namespaces) {
    const summary = await store.forNamespace(namespace).rewrap({
      concurrency: options.concurrency,
      onProgress: ({ moved, alreadyCurrent, failed }) =>
        options.onProgress?.(doneBefore + moved + alreadyCurrent + failed),
    });
    summaries.push({
      namespace,
      moved: summary.moved,
      alreadyCurrent: summary.alreadyCurrent,
      failed: summary.failed,
    });
    for (const { key, error } of summary.failures) {
      failures.push({ namespace, key, code: error.code, message: error.message });
    }
    doneBefore += summary.moved + summary.alreadyCurrent + summary.failed;
  }
  const total = (field: 'moved' | 'alreadyCurrent' | 'failed') =>
    summaries.reduce((sum, summary) => sum + summary[field], 0);
  return {
    namespaces: summaries,
    moved: total('moved'),
    alreadyCurrent: total('alreadyCurrent'),
    failed: total('failed'),
    failures,
  };
}

/** One line naming the failed secrets (at most `shown` of them), for stderr. */
export function describeFailures(report: RewrapReport, shown = 10): string {
  const names = report.failures
    .slice(0, shown)
    .map((failure) => `${JSON.stringify(failure.key)} in ${failure.namespace} (${failure.code})`);
  const more = report.failed > shown ? ` and ${report.failed - shown} more` : '';
  const noun = report.failed === 1 ? 'secret' : 'secrets';
  return `${report.failed} ${noun} could not be moved to the current key: ${names.join(', ')}${more}`;
}
