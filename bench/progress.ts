/** A progress bar on stderr (one line, redrawn); plain lines every 10 % when stderr is not a terminal. */
export class ProgressBar {
  private readonly started = Date.now();
  private lastDraw = 0;
  private lastDecile = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number, detail = ''): void {
    const now = Date.now();
    const share = this.total === 0 ? 1 : Math.min(1, done / this.total);
    const seconds = (now - this.started) / 1000;
    if (process.stderr.isTTY) {
      if (now - this.lastDraw < 100 && share < 1) return;
      this.lastDraw = now;
      const width = 30;
      const filled = Math.round(share * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      process.stderr.write(`\r${this.label} ${bar} ${(share * 100).toFixed(0).padStart(3)}% ${seconds.toFixed(1)}s ${detail}\x1b[K`);
      return;
    }
    const decile = Math.floor(share * 10);
    if (decile === this.lastDecile) return;
    this.lastDecile = decile;
    process.stderr.write(`${this.label} ${(share * 100).toFixed(0)}% ${seconds.toFixed(1)}s ${detail}\n`);
  }

  finish(detail = ''): void {
    this.update(this.total, detail);
    if (process.stderr.isTTY) process.stderr.write('\n');
  }
}

/** A one-line note on stderr: what the benchmark is doing now. */
export function step(message: string): void {
  process.stderr.write(`» ${message}\n`);
}
