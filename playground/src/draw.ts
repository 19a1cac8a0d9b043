/**
 * A pad to draw a digit on, and its conversion to an MNIST-like 28×28 image: the ink's bounding
 * box scaled to fit 20×20 and centred by its centre of mass, as the MNIST digits were prepared.
 */
export class DrawPad {
  private readonly ctx: CanvasRenderingContext2D;
  private drawing = false;

  constructor(readonly canvas: HTMLCanvasElement, onChange: () => void) {
    this.ctx = canvas.getContext("2d", { willReadFrequently: true }) as CanvasRenderingContext2D;
    this.clear();
    const at = (e: PointerEvent) => {
      const r = canvas.getBoundingClientRect();
      return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height] as const;
    };
    canvas.addEventListener("pointerdown", (e) => {
      this.drawing = true;
      canvas.setPointerCapture(e.pointerId);
      const [x, y] = at(e);
      this.ctx.beginPath();
      this.ctx.moveTo(x, y);
      this.stroke(x, y);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (this.drawing) this.stroke(...at(e));
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      onChange();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointerleave", end);
  }

  /** A stroke to (x, y) in canvas pixels (also used by tests to draw without a mouse). */
  stroke(x: number, y: number): void {
    const c = this.ctx;
    c.lineTo(x, y);
    c.strokeStyle = "#fff";
    c.lineWidth = this.canvas.width / 12;
    c.lineCap = "round";
    c.lineJoin = "round";
    c.stroke();
  }

  clear(): void {
    this.ctx.fillStyle = "#000";
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.ctx.beginPath();
  }

  /** The drawing as 784 grey levels in [0, 1]; all zeros when nothing is drawn. */
  toImage(): Float32Array {
    const { width: w, height: h } = this.canvas;
    const px = this.ctx.getImageData(0, 0, w, h).data;
    let [x0, y0, x1, y1] = [w, h, -1, -1];
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (px[(y * w + x) * 4] > 20) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    const out = new Float32Array(784);
    if (x1 < 0) return out;
    // Scale the box's longer side to 20 pixels, area-average into a 20×20 patch, then centre by mass.
    const side = Math.max(x1 - x0 + 1, y1 - y0 + 1);
    const patch = new Float32Array(28 * 28);
    const scale = 20 / side;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const tx = Math.floor((x - x0 + (side - (x1 - x0 + 1)) / 2) * scale);
        const ty = Math.floor((y - y0 + (side - (y1 - y0 + 1)) / 2) * scale);
        patch[ty * 28 + tx] += (px[(y * w + x) * 4] / 255) * scale * scale;
      }
    }
    let [mx, my, mass] = [0, 0, 0];
    for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) [mx, my, mass] = [mx + x * patch[y * 28 + x], my + y * patch[y * 28 + x], mass + patch[y * 28 + x]];
    const dx = Math.round(14 - mx / mass);
    const dy = Math.round(14 - my / mass);
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 20; x++) {
        const [tx, ty] = [x + dx, y + dy];
        if (tx >= 0 && tx < 28 && ty >= 0 && ty < 28) out[ty * 28 + tx] = Math.min(1, patch[y * 28 + x]);
      }
    }
    return out;
  }
}

/** Paints 784 values (scaled to their maximum) into `canvas` as a heat map. */
export function paintMap(canvas: HTMLCanvasElement, values: Float32Array, color: (v: number) => readonly [number, number, number]): void {
  const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
  const img = ctx.createImageData(28, 28);
  let max = 0;
  for (const v of values) max = Math.max(max, v);
  for (let i = 0; i < 784; i++) {
    const [r, g, b] = color(max > 0 ? values[i] / max : 0);
    img.data.set([r, g, b, 255], i * 4);
  }
  const tmp = document.createElement("canvas");
  tmp.width = tmp.height = 28;
  (tmp.getContext("2d") as CanvasRenderingContext2D).putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}
