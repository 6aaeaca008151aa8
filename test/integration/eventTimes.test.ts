/**
 * Times the pipeline can trust (DESIGN.md), end to end on the integration table: the cases of
 * issue 16 in which an event's `time`, which a producer sets at will, made the pipeline delete
 * a reinstall, keep an installation's secrets, or loop. Each second sweep the handler sends is
 * delivered when it is due, as SQS would.
 */
import { readLifecycle } from '@secrets-store/core/internal';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newStore, rawClient, tableName } from '../support/integration.ts';
import { eventBody, newPipeline, setClock } from '../support/uninstallPipeline.ts';

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const MINUTE = 60_000;

afterEach(() => {
  vi.useRealTimers();
});

/** An EventBridge event with a `time` of the producer's choosing (ISO text). */
function eventDated(type: 'AppUninstalled' | 'AppInstalled', namespace: string, time: string) {
  return JSON.stringify({ ...JSON.parse(eventBody(type, namespace, `${type}-1`, T0)), time });
}

/** `ms` as EventBridge writes a time: ISO 8601 UTC in whole seconds. */
function eventBridgeTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** A new store and pipeline, the clock at T0, and `token` stored as authToken then. */
async function storedAtT0(token: { token: string }) {
  const store = newStore();
  const pipeline = newPipeline();
  setClock(T0);
  await store.put('authToken', token);
  return { store, pipeline };
}

/** Delivers every sweep sent so far, each when it is due (and what they send in turn), until `until`. */
async function deliverSweeps(pipeline: ReturnType<typeof newPipeline>, until: number) {
  let handled = 0;
  let clock = Date.now();
  const due: { at: number; body: string }[] = [];
  for (let round = 0; round < 20; round++) {
    for (const message of pipeline.sent().slice(handled)) {
      due.push({ at: clock + message.delaySeconds * 1000, body: message.body });
    }
    handled = pipeline.sent().length;
    due.sort((a, b) => a.at - b.at);
    const next = due.shift();
    if (!next || next.at > until) return;
    clock = next.at;
    setClock(clock);
    await pipeline.deliver(next.body);
  }
  throw new Error('the sweeps are still re-queuing themselves after 20 deliveries');
}

async function secretsOf(store: ReturnType<typeof newStore>) {
  const left: Record<string, unknown> = {};
  for await (const key of store.keys()) left[key] = await store.get(key);
  return left;
}

describe('event times (issue 16)', () => {
  it("1. an AppUninstalled dated an hour ahead is refused, and never reaches a reinstall's writes 20 minutes later", async () => {
    const { store, pipeline } = await storedAtT0({ token: 'first' });
    const anHourAhead = eventBridgeTime(T0 + 60 * MINUTE);
    await pipeline.deliver(eventDated('AppUninstalled', store.namespace, anHourAhead));
    setClock(T0 + 20 * MINUTE);
    await pipeline.deliver(eventBody('AppInstalled', store.namespace, 'i2', T0 + 20 * MINUTE));
    setClock(T0 + 20 * MINUTE + 500);
    await store.put('authToken', { token: 'reinstall' });
    await deliverSweeps(pipeline, T0 + 3 * 60 * MINUTE);
    expect(pipeline.sent()).toEqual([]);
    expect(await secretsOf(store)).toEqual({ authToken: { token: 'reinstall' } });
  });

  it("2. an AppInstalled dated tomorrow is refused: a later uninstall's sweep spares the next reinstall", async () => {
    const store = newStore();
    const pipeline = newPipeline();
    setClock(T0);
    const tomorrow = eventBridgeTime(T0 + 24 * 60 * MINUTE);
    await pipeline.deliver(eventDated('AppInstalled', store.namespace, tomorrow));
    await store.put('authToken', { token: 'first' });
    setClock(T0 + MINUTE);
    await pipeline.deliver(eventBody('AppUninstalled', store.namespace, 'u1', T0 + MINUTE));
    setClock(T0 + 5 * MINUTE);
    await pipeline.deliver(eventBody('AppInstalled', store.namespace, 'i2', T0 + 5 * MINUTE));
    setClock(T0 + 5 * MINUTE + 500);
    await store.put('webhook', { url: 'reinstall' });
    await deliverSweeps(pipeline, T0 + 60 * MINUTE);
    expect(await secretsOf(store)).toEqual({ webhook: { url: 'reinstall' } });
    expect(await readLifecycle(rawClient, tableName, store.namespace)).toEqual({
      installedAt: T0 + 5 * MINUTE,
      installEventId: 'i2',
      uninstalledAt: T0 + MINUTE,
      uninstallEventId: 'u1',
    });
  });

  it('3. an installation installed and uninstalled within one second loses its secrets', async () => {
    const store = newStore();
    const pipeline = newPipeline();
    setClock(T0 + 100);
    await pipeline.deliver(eventBody('AppInstalled', store.namespace, 'i1', T0 + 100));
    setClock(T0 + 300);
    await store.put('authToken', { token: 'short-lived' });
    setClock(T0 + 800);
    // EventBridge truncates both times to T0.
    await pipeline.deliver(eventBody('AppUninstalled', store.namespace, 'u1', T0 + 800));
    await deliverSweeps(pipeline, T0 + 60 * MINUTE);
    expect(await secretsOf(store)).toEqual({});
  });

  it('4. an AppUninstalled dated 9999 sends no sweep; a sweep dated 9999 is not sent back', async () => {
    const { store, pipeline } = await storedAtT0({ token: 'kept' });
    await pipeline.deliver(eventDated('AppUninstalled', store.namespace, '9999-12-31T23:59:59Z'));
    await pipeline.deliver(
      JSON.stringify({
        type: 'SecondSweep',
        namespace: store.namespace,
        uninstallEventId: 'u-forged',
        uninstalledAt: Date.UTC(9999, 11, 31),
      }),
    );
    expect(pipeline.sent()).toEqual([]);
    expect(await secretsOf(store)).toEqual({ authToken: { token: 'kept' } });
  });

  it('4. an uninstall whose SQS stamp is earlier than its time: the sweep is due from the stamp, sent back at most once', async () => {
    const { store, pipeline } = await storedAtT0({ token: 'first' });
    const fourMinutesAhead = eventBridgeTime(T0 + 4 * MINUTE);
    await pipeline.deliver(eventDated('AppUninstalled', store.namespace, fourMinutesAhead), T0);
    expect(pipeline.sent().map((message) => message.delaySeconds)).toEqual([900]);
    await deliverSweeps(pipeline, T0 + 60 * MINUTE);
    expect(pipeline.sent()).toHaveLength(1);
    expect(await secretsOf(store)).toEqual({});
  });

  it('5. an event dated year 0 is refused and dropped: the message does not fail', async () => {
    const { store, pipeline } = await storedAtT0({ token: 'kept' });
    await expect(
      pipeline.deliver(eventDated('AppUninstalled', store.namespace, '0000-01-01T00:00:00Z')),
    ).resolves.toBeUndefined();
    expect(pipeline.sent()).toEqual([]);
    expect(await secretsOf(store)).toEqual({ authToken: { token: 'kept' } });
  });
});
