/** A small line plot on a canvas: several series over one x axis, with a grid, ticks and a legend. */

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

const niceStep = (span: number) => {
  const raw = span / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
};

export function plot(canvas: HTMLCanvasElement, { xs, series, clamp = 20, xLabel = "x" }: PlotOptions): void {
  const ctx = canvas.getContext("2d");
  if (ctx === null) return;
  const { width: w, height: h } = canvas;
  ctx.clearRect(0, 0, w, h);
  const finite = series.flatMap((s) => Array.from(s.ys).filter(Number.isFinite));
  const sorted = finite.map(Math.abs).sort((a, b) => a - b);
  const bound = Math.max(1e-9, (sorted[Math.floor(sorted.length / 2)] ?? 1) * clamp);
  let lo = Math.max(-bound, Math.min(...finite, 0));
  let hi = Math.min(bound, Math.max(...finite, 0));
  if (!(hi > lo)) [lo, hi] = [lo - 1, lo + 1];
  const pad = { l: 48, r: 12, t: 12, b: 28 };
  const x0 = xs[0];
  const x1 = xs[xs.length - 1];
  const px = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
  const py = (y: number) => h - pad.b - ((y - lo) / (hi - lo)) * (h - pad.t - pad.b);
  ctx.font = "11px system-ui, sans-serif";
  ctx.strokeStyle = "#e4e4e4";
  ctx.fillStyle = "#555";
  ctx.lineWidth = 1;
  const ys = niceStep(hi - lo);
  for (let y = Math.ceil(lo / ys) * ys; y <= hi; y += ys) {
    ctx.beginPath();
    ctx.moveTo(pad.l, py(y));
    ctx.lineTo(w - pad.r, py(y));
    ctx.stroke();
    ctx.fillText(Number(y.toPrecision(3)).toString(), 4, py(y) + 4);
  }
  const xstep = niceStep(x1 - x0);
  for (let x = Math.ceil(x0 / xstep) * xstep; x <= x1; x += xstep) {
    ctx.beginPath();
    ctx.moveTo(px(x), pad.t);
    ctx.lineTo(px(x), h - pad.b);
    ctx.stroke();
    ctx.fillText(Number(x.toPrecision(3)).toString(), px(x) - 8, h - pad.b + 14);
  }
  ctx.fillText(xLabel, w - pad.r - 10, h - 4);
  series.forEach((s, k) => {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dashed === true ? [6, 4] : []);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < xs.length; i++) {
      const y = s.ys[i];
      if (!Number.isFinite(y) || y < lo - (hi - lo) || y > hi + (hi - lo)) {
        pen = false;
        continue;
      }
      if (pen) ctx.lineTo(px(xs[i]), py(y));
      else ctx.moveTo(px(xs[i]), py(y));
      pen = true;
    }
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = s.color;
    ctx.fillRect(pad.l + 8, pad.t + 6 + k * 16, 14, 3);
    ctx.fillStyle = "#333";
    ctx.fillText(s.label, pad.l + 28, pad.t + 10 + k * 16);
  });
}
