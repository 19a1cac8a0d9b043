/**
 * The training demo's picture, drawn by Chart.js on an @napi-rs/canvas canvas: loss (left) and
 * accuracy (right) against epochs, side by side in one PNG. Chart.js picks round tick values and
 * lays the legends out above the plots, where they cannot cover a curve.
 */
import { createCanvas } from "@napi-rs/canvas";
import { Chart, registerables, type ChartConfiguration } from "chart.js";

Chart.register(...registerables);

export interface Series {
  readonly label: string;
  /** A CSS colour. */
  readonly color: string;
  /** Points (x in epochs, y), drawn as a line; with few points each is marked. */
  readonly points: readonly (readonly [number, number])[];
}

export interface Panel {
  readonly title: string;
  readonly series: readonly Series[];
  /** Where the x axis starts (in epochs). */
  readonly xMin: number;
  readonly yMin?: number;
  /** The x axis's name. Default "epoch" (whole-number ticks). */
  readonly xLabel?: string;
}

function config(p: Panel): ChartConfiguration<"line", { x: number; y: number }[]> {
  const xMax = Math.max(p.xMin + 1, ...p.series.flatMap((s) => s.points.map(([x]) => x)));
  return {
    type: "line",
    data: {
      datasets: p.series.map((s) => ({
        label: s.label,
        data: s.points.map(([x, y]) => ({ x, y })),
        borderColor: s.color,
        backgroundColor: s.color,
        borderWidth: 2,
        pointRadius: s.points.length <= 30 ? 3 : 0,
      })),
    },
    options: {
      animation: false,
      responsive: false,
      devicePixelRatio: 1,
      plugins: { title: { display: true, text: p.title, font: { size: 16 } }, legend: { position: "top", labels: { boxWidth: 12 } } },
      scales: {
        x: {
          type: "linear",
          min: p.xMin,
          max: xMax,
          title: { display: true, text: p.xLabel ?? "epoch" },
          ticks: p.xLabel === undefined ? { stepSize: 1, precision: 0 } : { precision: 0 },
        },
        y: { type: "linear", ...(p.yMin === undefined ? {} : { min: p.yMin }) },
      },
    },
  };
}

/** Panels side by side, each `w` × `h` pixels, on white, as a PNG file's bytes. */
export function chartPng(panels: readonly Panel[], w = 480, h = 320): Buffer {
  const out = createCanvas(w * panels.length, h);
  const ctx = out.getContext("2d");
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, out.width, out.height);
  panels.forEach((p, i) => {
    const canvas = createCanvas(w, h);
    // Chart.js draws on any 2-D context; its types name the DOM's, which a Node build does not load.
    const chart = new Chart(canvas.getContext("2d") as never, config(p));
    ctx.drawImage(canvas, i * w, 0);
    chart.destroy();
  });
  return out.toBuffer("image/png");
}
