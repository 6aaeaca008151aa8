/**
 * The event-order matrix: two installations of one namespace, and every order in which SQS can
 * hand the cleanup function the uninstall (U), its redelivery (U again), the reinstall (I) and
 * the second sweeps (S: one per U handled, never before it), on dynalite.
 *
 * The timeline is fixed, as the platform and the app make it; only the handling order varies:
 *
 *   T0          the first installation writes authToken and rate
 *   tU          AppUninstalled (EventBridge time)
 *   tU + 1 min  a late write of the first installation (an invocation running at uninstall)
 *   tI          AppInstalled
 *   tI + 0.5 s  the reinstall writes authToken (the same key) and webhook
 *
 * Each delivery is handled at the earliest moment it can be: not before its event happened, a
 * sweep not before its delay ran out, and each after the one before it. Every write whose time
 * has come lands before the next delivery is handled. What must survive: exactly the
 * reinstall's two secrets.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newStore } from '../support/integration.ts';
import {
  eventBody,
  newPipeline,
  SWEEP_DELAY_SECONDS,
  setClock,
} from '../support/uninstallPipeline.ts';

type Delivery = 'U' | 'I' | 'S';

/** Every distinct order of U, U, I, S, S in which no S comes before the U that sent it. */
function deliveryOrders(): Delivery[][] {
  const orders = new Set<string>();
  const permute = (left: Delivery[], prefix: Delivery[]) => {
    const count = (kind: Delivery) => prefix.filter((item) => item === kind).length;
    if (count('S') > count('U')) return;
    if (left.length === 0) {
      orders.add(prefix.join(' '));
      return;
    }
    left.forEach((item, index) => {
      permute([...left.slice(0, index), ...left.slice(index + 1)], [...prefix, item]);
    });
  };
  permute(['U', 'U', 'I', 'S', 'S'], []);
  return [...orders].sort().map((order) => order.split(' ') as Delivery[]);
}

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);
const UNINSTALLED_AT = T0 + 60_000;
const WINDOW_MS = SWEEP_DELAY_SECONDS * 1000;

afterEach(() => {
  vi.useRealTimers();
});

/** Plays one order; resolves to every secret left in the namespace, by key. */
async function play(order: readonly Delivery[], installedAt: number) {
  const store = newStore();
  const pipeline = newPipeline();
  const { namespace } = store;
  const writes: { at: number; write: () => Promise<unknown> }[] = [
    { at: T0, write: () => store.put('authToken', { token: 'first installation' }) },
    { at: T0 + 100, write: () => store.patch('rate', { counter: 1 }) },
    { at: UNINSTALLED_AT + 60_000, write: () => store.put('late', { from: 'first' }) },
    { at: installedAt + 500, write: () => store.put('authToken', { token: 'reinstall' }) },
    { at: installedAt + 600, write: () => store.put('webhook', { url: 'reinstall' }) },
  ];
  const writesUntil = async (time: number) => {
    while (writes.length > 0 && (writes[0] as { at: number }).at <= time) {
      const { at, write } = writes.shift() as (typeof writes)[number];
      setClock(at);
      await write();
    }
  };
  const uninstall = eventBody('AppUninstalled', namespace, 'uninstall-1', UNINSTALLED_AT);
  const install = eventBody('AppInstalled', namespace, 'install-2', installedAt);
  const sweeps: { availableAt: number; body: string }[] = [];

  let clock = T0;
  for (const delivery of order) {
    const sweep = delivery === 'S' ? sweeps.shift() : undefined;
    const availableAt =
      delivery === 'U'
        ? UNINSTALLED_AT
        : delivery === 'I'
          ? installedAt
          : (sweep?.availableAt as number);
    clock = Math.max(clock + 1000, availableAt);
    await writesUntil(clock);
    setClock(clock);
    const sentBefore = pipeline.sent().length;
    await pipeline.deliver(
      delivery === 'U' ? uninstall : delivery === 'I' ? install : (sweep?.body as string),
    );
    for (const message of pipeline.sent().slice(sentBefore)) {
      sweeps.push({ availableAt: clock + message.delaySeconds * 1000, body: message.body });
    }
  }
  await writesUntil(Number.POSITIVE_INFINITY);

  const left: Record<string, unknown> = {};
  for await (const key of store.keys()) left[key] = await store.get(key);
  return left;
}

const REINSTALL_ONLY = {
  authToken: { token: 'reinstall' },
  webhook: { url: 'reinstall' },
};
const orders = deliveryOrders();
const sweepBeforeInstall = (order: readonly Delivery[]) => order.indexOf('S') < order.indexOf('I');

describe('the matrix', () => {
  it('holds the 2 orders of U, U, S, S with each S after a U, times the 5 places of I', () => {
    expect(orders.map((order) => order.join(' '))).toEqual([
      'I U S U S',
      'I U U S S',
      'U I S U S',
      'U I U S S',
      'U S I U S',
      'U S U I S',
      'U S U S I',
      'U U I S S',
      'U U S I S',
      'U U S S I',
    ]);
  });
});

describe('reinstall after the sweep window (tI = tU + 20 min): in every order', () => {
  it.each(orders.map((order) => [order.join(' ')]))(
    "%s leaves exactly the reinstall's secrets",
    async (order) => {
      const left = await play(order.split(' ') as Delivery[], UNINSTALLED_AT + WINDOW_MS + 300_000);
      expect(left).toEqual(REINSTALL_ONLY);
    },
  );
});

describe('reinstall inside the sweep window (tI = tU + 5 min)', () => {
  it.each(orders.filter((order) => !sweepBeforeInstall(order)).map((order) => [order.join(' ')]))(
    "%s leaves exactly the reinstall's secrets",
    async (order) => {
      const left = await play(order.split(' ') as Delivery[], UNINSTALLED_AT + 300_000);
      expect(left).toEqual(REINSTALL_ONLY);
    },
  );

  // The one case no event time can decide (README, "Uninstall"): the AppInstalled is still
  // undelivered when the sweep runs, and the reinstall wrote inside the window, where the late
  // writes of the first installation are. The sweep cannot tell them apart and deletes both.
  it.each(orders.filter(sweepBeforeInstall).map((order) => [order.join(' ')]))(
    "%s (the sweep before the AppInstalled): the reinstall's writes inside the window are deleted",
    async (order) => {
      const left = await play(order.split(' ') as Delivery[], UNINSTALLED_AT + 300_000);
      expect(left).toEqual({});
    },
  );
});
