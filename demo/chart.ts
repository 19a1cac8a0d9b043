/**
 * The training demo's picture: loss (left) and accuracy (right) against epochs, drawn into a
 * Raster with a 5×7 pixel font for the labels. Only what out/training.png needs.
 */
import { Raster } from "./png.js";

type Rgb = readonly [number, number, number];

export interface Series {
  readonly label: string;
  readonly color: Rgb;
  /** Points (x in the panel's x unit, y); drawn as a line, or as dots with `dots`. */
  readonly points: readonly (readonly [number, number])[];
  readonly dots?: boolean;
}

export interface Panel {
  readonly title: string;
  readonly series: readonly Series[];
  /** y range; default: the data's. */
  readonly yMin?: number;
  readonly yMax?: number;
  readonly yFormat?: (y: number) => string;
  /** Where the legend goes, top right (default) or bottom right. */
  readonly legend?: "top" | "bottom";
  /** The x axis's name. Default "epoch". */
  readonly xLabel?: string;
}

// 5×7 glyphs, one string of 7 rows of 5 bits each ('#' on).
const GLYPHS: Record<string, string> = {
  "0": ".###.#...##..###.#.###..##...#.###.", "1": "..#...##....#....#....#....#...###.", "2": ".###.#...#....#...#...#...#...#####",
  "3": "#####...#...#.....#.....##...#.###.", "4": "...#...##..#.#.#..#.#####...#....#.", "5": "######....####.....#....##...#.###.",
  "6": "..##..#...#....####.#...##...#.###.", "7": "#####....#...#...#...#....#....#...", "8": ".###.#...##...#.###.#...##...#.###.",
  "9": ".###.#...##...#.####....#...#..##..", ".": "..........................##...##..", "%": "##...##..#...#...#...#...#..##...##",
  "-": "...............#####...............", " ": "...................................", a: "...........###.....#.#####...#.####",
  b: "#....#....#.##.##..##...##...#####.", c: "...........#####....#....#.....####", d: "....#....#.##.##..###...##...#.####",
  e: "...........###.#...#######.....###.", h: "#....#....#.##.##..##...##...##...#", i: "..#........##....#....#....#...###.",
  k: "#....#....#..#.#.#..##...#.#..#..#.", l: ".##....#....#....#....#....#...###.", m: "..........##.#.#.#.##.#.##...##...#",
  n: "..........#.##.##..##...##...##...#", o: "...........###.#...##...##...#.###.", p: "..........####.#...#####.#....#....",
  r: "..........#.##.##..##....#....#....", s: "...........#####.....###.....#####.", t: ".#....#...####..#....#....#..#..##.",
  u: "..........#...##...##...##..##.##.#", y: "..........#...##...#.####....#.###.",
};

function text(r: Raster, s: string, x: number, y: number, color: Rgb, scale = 1): void {
  for (const ch of s) {
    const g = GLYPHS[ch] ?? GLYPHS[" "];
    for (let row = 0; row < 7; row++) for (let col = 0; col < 5; col++) if (g[row * 5 + col] === "#") r.fillRect(x + col * scale, y + row * scale, scale, scale, color);
    x += 6 * scale;
  }
}

const textWidth = (s: string, scale = 1) => s.length * 6 * scale;

const GRID: Rgb = [225, 225, 225];
const AXIS: Rgb = [90, 90, 90];

function drawPanel(r: Raster, p: Panel, x0: number, y0: number, w: number, h: number): void {
  const all = p.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map(([x]) => x));
  let yMin = p.yMin ?? Math.min(...all.map(([, y]) => y));
  let yMax = p.yMax ?? Math.max(...all.map(([, y]) => y));
  if (!(yMax > yMin)) [yMin, yMax] = [yMin - 1, yMin + 1];
  const fmt = p.yFormat ?? ((y: number) => y.toFixed(2));
  const left = x0 + 56;
  const top = y0 + 28;
  const pw = w - 72;
  const ph = h - 64;
  const px = (x: number) => left + (x / xMax) * pw;
  const py = (y: number) => top + ph - ((y - yMin) / (yMax - yMin)) * ph;
  text(r, p.title, left + (pw - textWidth(p.title, 2)) / 2, y0 + 4, AXIS, 2);
  for (let k = 0; k <= 4; k++) {
    const y = yMin + ((yMax - yMin) * k) / 4;
    r.line(left, py(y), left + pw, py(y), GRID);
    const label = fmt(y);
    text(r, label, left - 6 - textWidth(label), py(y) - 3, AXIS);
  }
  const xStep = Math.max(1, Math.ceil(xMax / 10));
  for (let e = 0; e <= xMax; e += xStep) {
    r.line(px(e), top + ph, px(e), top + ph + 4, AXIS);
    text(r, String(e), px(e) - textWidth(String(e)) / 2, top + ph + 8, AXIS);
  }
  const xLabel = p.xLabel ?? "epoch";
  text(r, xLabel, left + (pw - textWidth(xLabel)) / 2, top + ph + 20, AXIS);
  r.line(left, top, left, top + ph, AXIS);
  r.line(left, top + ph, left + pw, top + ph, AXIS);
  let legendY = p.legend === "bottom" ? top + ph - 8 - 12 * p.series.length : top + 6;
  for (const s of p.series) {
    const pts = s.points.map(([x, y]) => [px(x), py(Math.min(yMax, Math.max(yMin, y)))] as const);
    if (s.dots) for (const [x, y] of pts) r.fillRect(x - 2, y - 2, 5, 5, s.color);
    else for (let i = 1; i < pts.length; i++) r.line(pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1], s.color, 2);
    r.fillRect(left + pw - 110, legendY, 12, 7, s.color);
    text(r, s.label, left + pw - 94, legendY, AXIS);
    legendY += 12;
  }
}

/** Panels side by side, each `w` × `h` pixels. */
export function chart(panels: readonly Panel[], w = 480, h = 320): Raster {
  const r = new Raster(w * panels.length, h);
  panels.forEach((p, i) => drawPanel(r, p, i * w, 0, w, h));
  return r;
}
