/** A wait that `stop()` can cut short, so a stopping source never sits out a long delay. */
export class Sleeper {
  private wakers = new Set<() => void>();

  sleep(ms: number): Promise<void> {
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

  /** Ends every current wait now. */
  wake(): void {
    for (const done of [...this.wakers]) done();
  }
}
