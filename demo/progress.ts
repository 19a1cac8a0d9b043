/**
 * The training demo's progress bar, drawn by cli-progress: redrawn in place on a terminal, and on
 * anything else (a CI log, a pipe) printed only when a phase ends, so logs stay short.
 */
import cliProgress from "cli-progress";

export interface ProgressStats {
  readonly loss: number;
  /** Share of the batch's examples classified correctly, in [0, 1]. */
  readonly accuracy: number;
}

export class ProgressBar {
  private readonly tty = process.stdout.isTTY === true;
  private readonly start = performance.now();
  private readonly full: string;
  private readonly bar: cliProgress.SingleBar | undefined;

  constructor(
    private readonly label: string,
    private readonly total: number,
    width = 28,
  ) {
    this.full = "█".repeat(width);
    const options: cliProgress.Options = {
      format: (options, params, payload: ProgressStats) => this.line(cliProgress.Format.BarFormat(params.progress, options), params.value, payload),
      barsize: width,
      barCompleteChar: "█",
      barIncompleteChar: "░",
      stream: process.stdout,
      fps: 10,
      hideCursor: true,
    };
    if (this.tty) {
      this.bar = new cliProgress.SingleBar(options);
      this.bar.start(total, 0, { loss: 0, accuracy: 0 });
    }
  }

  /** `done` examples so far; stats are running means over the phase. */
  update(done: number, stats: ProgressStats): void {
    this.bar?.update(done, stats);
  }

  /** Ends the line (prints it once where there is no terminal). */
  finish(stats: ProgressStats): string {
    const line = this.line(this.full, this.total, stats);
    if (this.bar !== undefined) {
      this.bar.update(this.total, stats);
      this.bar.stop();
    } else process.stdout.write(`${line}\n`);
    return line;
  }

  private line(bar: string, done: number, { loss, accuracy }: ProgressStats): string {
    const seconds = (performance.now() - this.start) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    return `${this.label} ${bar} ${String(done).padStart(String(this.total).length)}/${this.total}  loss ${loss.toFixed(4)}  acc ${(100 * accuracy).toFixed(2)}%  ${rate.toFixed(0)} ex/s`;
  }
}
