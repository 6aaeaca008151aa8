/**
 * Group commit: concurrent read-modify-writes of one key in one process share one write.
 *
 * Work for a key that arrives while a batch of that key is being committed waits and forms the
 * next batch; batches of one key run one after another, batches of different keys in parallel.
 * The committer gets what the previous batch left (`carry`, e.g. the item it wrote) so that the
 * next batch can start without reading, and disposes of it when the queue runs dry.
 */
export type CommitBatch<Work, Carry> = (
  key: string,
  batch: Work[],
  carry: Carry | undefined,
) => Promise<Carry | undefined>;

export class GroupCommit<Work, Carry> {
  readonly #waiting = new Map<string, Work[]>();
  readonly #commit: CommitBatch<Work, Carry>;
  readonly #dispose: (carry: Carry) => void;

  /**
   * @param commit settles every piece of work of its batch; it must not throw (a throw is a bug:
   *   it stops that key's queue)
   * @param dispose releases what the last batch of a queue left
   */
  constructor(commit: CommitBatch<Work, Carry>, dispose: (carry: Carry) => void) {
    this.#commit = commit;
    this.#dispose = dispose;
  }

  add(key: string, work: Work): void {
    const waiting = this.#waiting.get(key);
    if (waiting) {
      waiting.push(work);
      return;
    }
    this.#waiting.set(key, [work]);
    void this.#drain(key);
  }

  async #drain(key: string): Promise<void> {
    let carry: Carry | undefined;
    try {
      for (;;) {
        const batch = this.#waiting.get(key) ?? [];
        if (batch.length === 0) break;
        this.#waiting.set(key, []); // what arrives from now on forms the next batch
        carry = await this.#commit(key, batch, carry);
      }
    } finally {
      this.#waiting.delete(key);
      if (carry !== undefined) this.#dispose(carry);
    }
  }
}
