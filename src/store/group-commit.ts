/**
 * Group commit, shared by the stores: what is handed in during one event-loop turn is committed
 * together as one batch (one transaction, one fsync), one commit at a time. What arrives while a
 * commit runs waits and goes as the next batch as soon as it ends, so under load batches grow
 * instead of commits queueing. Each caller settles only after its batch's commit: resolved with its
 * own result, or, when the commit fails, rejected with the batch (nothing behind it was started on
 * top of it, so nothing else has to be taken back).
 */
export type CommitBatch<I, R> = (batch: readonly I[]) => Promise<readonly R[]> | readonly R[];

interface Waiting<I, R> {
  input: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<I, R> {
  private waiting: Waiting<I, R>[] = [];
  private committing = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  private readonly commit: CommitBatch<I, R>;

  /** `commit` gets each batch in call order and answers one result per input, in the same order. */
  constructor(commit: CommitBatch<I, R>) {
    this.commit = commit;
  }

  add(input: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (!this.scheduled && !this.committing) {
        this.scheduled = true;
        setImmediate(this.runScheduled);
      }
    });
  }

  /** True while something is waiting or being committed. */
  get busy(): boolean {
    return this.committing || this.waiting.length > 0;
  }

  /** Commits what waits now rather than at the end of the turn (a closing store). */
  flush(): void {
    void this.run();
  }

  /** Resolves once nothing waits and no commit runs (at once if so already). */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((done) => this.idleWaiters.push(done));
  }

  private readonly runScheduled = (): void => {
    this.scheduled = false;
    void this.run();
  };

  private async run(): Promise<void> {
    if (this.committing) return;
    const batch = this.waiting;
    if (batch.length === 0) {
      for (const done of this.idleWaiters.splice(0)) done();
      return;
    }
    this.waiting = [];
    this.committing = true;
    try {
      const results = await this.commit(batch.map((w) => w.input));
      if (results.length !== batch.length) throw new Error(`a commit answered ${results.length} of ${batch.length}`);
      for (let i = 0; i < batch.length; i++) (batch[i] as Waiting<I, R>).resolve(results[i] as R);
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      this.committing = false;
    }
    await this.run(); // what waited meanwhile: one batch, at once
  }
}
