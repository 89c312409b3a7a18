/**
 * A source's stop and the waits it cuts short, so a stopping source never sits out a long delay:
 * `stop()` ends every current wait, and a wait begun after it (a loop that had not yet looked at
 * `stopped`) ends at once too.
 */
export class Sleeper {
  private wakers = new Set<() => void>();
  private stopCalled = false;

  /** True once `stop()` was called: the source's loops end. */
  get stopped(): boolean {
    return this.stopCalled;
  }

  sleep(ms: number): Promise<void> {
    if (this.stopCalled) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wakers.add(done);
    });
  }

  /** Ends every current wait now (something may have changed: look again). */
  wake(): void {
    for (const done of [...this.wakers]) done();
  }

  /** Stops the source: `stopped` is true from now on and no wait lasts. */
  stop(): void {
    this.stopCalled = true;
    this.wake();
  }
}
