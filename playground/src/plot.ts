/**
 * Line plots on a canvas, drawn by Chart.js: several series over one x axis, round ticks, the legend
 * above the plot (never over a curve). One chart per canvas, updated in place; `clearPlot` blanks
 * a canvas whose plot no longer matches the input (a refused function).
 */
import { Chart, registerables } from "chart.js";

Chart.register(...registerables);

export interface PlotSeries {
  readonly label: string;
  readonly color: string;
  readonly ys: ArrayLike<number>;
  readonly dashed?: boolean;
}

export interface PlotOptions {
  readonly xs: ArrayLike<number>;
  readonly series: readonly PlotSeries[];
  /** Clamp the y range to this many times the median |y| (a pole would flatten everything else). */
  readonly clamp?: number;
  readonly xLabel?: string;
}

/** A 1, 2 or 5 × 10ᵏ step giving about 5 intervals over `span`. */
function niceStep(span: number): number {
  const raw = span / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
}

const charts = new WeakMap<HTMLCanvasElement, Chart<"line", { x: number; y: number | null }[]>>();

export function plot(canvas: HTMLCanvasElement, { xs, series, clamp = 20, xLabel = "x" }: PlotOptions): void {
  const finite = series.flatMap((s) => Array.from(s.ys).filter(Number.isFinite));
  const sorted = finite.map(Math.abs).sort((a, b) => a - b);
  const bound = Math.max(1e-9, (sorted[Math.floor(sorted.length / 2)] ?? 1) * clamp);
  let lo = Math.max(-bound, Math.min(...finite, 0));
  let hi = Math.min(bound, Math.max(...finite, 0));
  if (!(hi > lo)) [lo, hi] = [lo - 1, lo + 1];
  // Out to round values, so the axis ends on a tick Chart.js would choose (2.5, not 2.3026).
  const step = niceStep(hi - lo);
  [lo, hi] = [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
  const datasets = series.map((s) => ({
    label: s.label,
    // Off-scale and non-finite values break the line instead of drawing to the edge.
    data: Array.from(xs, (x, i) => ({ x, y: Number.isFinite(s.ys[i]) && s.ys[i] >= lo - (hi - lo) && s.ys[i] <= hi + (hi - lo) ? s.ys[i] : null })),
    borderColor: s.color,
    backgroundColor: s.color,
    borderWidth: 2,
    borderDash: s.dashed === true ? [6, 4] : [],
    pointRadius: 0,
    spanGaps: false,
  }));
  const scales = {
    x: { type: "linear" as const, min: xs[0], max: xs[xs.length - 1], title: { display: true, text: xLabel } },
    y: { type: "linear" as const, min: lo, max: hi, grace: 0 },
  };
  const existing = charts.get(canvas);
  if (existing !== undefined) {
    existing.data.datasets = datasets;
    existing.options.scales = scales;
    existing.update("none");
  } else {
    const chart = new Chart(canvas, {
      type: "line",
      data: { datasets },
      options: { animation: false, responsive: false, parsing: false, normalized: true, plugins: { legend: { position: "top" } }, scales },
    });
    charts.set(canvas, chart);
  }
  canvas.dataset.state = "current";
}

/** Blanks the canvas: what it showed belongs to an input that is no longer there. */
export function clearPlot(canvas: HTMLCanvasElement): void {
  charts.get(canvas)?.destroy();
  charts.delete(canvas);
  canvas.getContext("2d")?.clearRect(0, 0, canvas.width, canvas.height);
  canvas.dataset.state = "stale";
}
