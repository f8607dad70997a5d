/**
 * How a worker loop sleeps until its next work is due, or until it is told there is work
 * (NOTIFY, or this process): a wake-up that comes while the loop is busy is not lost.
 */
export class Wakeup {
  private wokenUp = false;
  private cut: (() => void) | null = null;

  /** Whether a wake-up came since the last `reset`. */
  get woken(): boolean {
    return this.wokenUp;
  }

  /** The start of a round of work: wake-ups before it are answered by it. */
  reset(): void {
    this.wokenUp = false;
  }

  wake(): void {
    this.wokenUp = true;
    this.cut?.();
  }

  /** Ends a sleep under way without counting as a wake-up (stopping). */
  interrupt(): void {
    this.cut?.();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      // Woken while working out how long to sleep: do not sleep at all.
      if (this.wokenUp) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.cut = () => {
        this.cut = null;
        done();
      };
    });
  }
}
