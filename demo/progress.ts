/**
 * A one-line progress bar for the training demo: redrawn in place on a terminal, and on anything
 * else (a CI log, a pipe) printed only when a phase ends, so logs stay short.
 */
export interface ProgressStats {
  readonly loss: number;
  /** Share of the batch's examples classified correctly, in [0, 1]. */
  readonly accuracy: number;
}

export class ProgressBar {
  private readonly tty = process.stdout.isTTY === true;
  private readonly start = performance.now();
  private lastDraw = 0;

  constructor(private readonly label: string, private readonly total: number, private readonly width = 28) {}

  /** `done` examples so far; stats are running means over the phase. */
  update(done: number, stats: ProgressStats): void {
    const now = performance.now();
    if (!this.tty || (now - this.lastDraw < 100 && done < this.total)) return;
    this.lastDraw = now;
    process.stdout.write(`\r${this.line(done, stats)}`);
  }

  /** Ends the line (prints it once where there is no terminal). */
  finish(stats: ProgressStats): string {
    const line = this.line(this.total, stats);
    process.stdout.write(this.tty ? `\r${line}\n` : `${line}\n`);
    return line;
  }

  private line(done: number, { loss, accuracy }: ProgressStats): string {
    const share = this.total === 0 ? 1 : Math.min(1, done / this.total);
    const filled = Math.round(share * this.width);
    const seconds = (performance.now() - this.start) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const bar = "█".repeat(filled) + "░".repeat(this.width - filled);
    return `${this.label} ${bar} ${String(done).padStart(String(this.total).length)}/${this.total}  loss ${loss.toFixed(4)}  acc ${(100 * accuracy).toFixed(2)}%  ${rate.toFixed(0)} ex/s`;
  }
}
