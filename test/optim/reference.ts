/**
 * The optimisers written again from PyTorch's documented pseudo-code, on plain float64 arrays, as the
 * oracle for 2–3 steps on a tiny problem. Deliberately naive: one loop per formula line.
 */
export type Vec = number[];

export function sgdRef(p: Vec, grads: (p: Vec) => Vec, steps: number, o: { lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number }): Vec[] {
  const mu = o.momentum ?? 0;
  const tau = o.dampening ?? 0;
  const wd = o.weightDecay ?? 0;
  let b: Vec | null = null;
  const out: Vec[] = [];
  for (let t = 1; t <= steps; t++) {
    let g = grads(p).map((gi, i) => gi + wd * p[i]);
    if (mu !== 0) {
      b = b === null ? [...g] : b.map((bi, i) => mu * bi + (1 - tau) * g[i]);
      const buf = b;
      g = o.nesterov ? g.map((gi, i) => gi + mu * buf[i]) : [...buf];
    }
    p = p.map((pi, i) => pi - o.lr * g[i]);
    out.push(p);
  }
  return out;
}

export function adamRef(
  p: Vec,
  grads: (p: Vec) => Vec,
  steps: number,
  o: { lr: number; betas?: [number, number]; eps?: number; weightDecay?: number; decoupled?: boolean; amsgrad?: boolean },
): Vec[] {
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? 0;
  let m = p.map(() => 0);
  let v = p.map(() => 0);
  let vMax = p.map(() => 0);
  const out: Vec[] = [];
  for (let t = 1; t <= steps; t++) {
    let g = grads(p);
    if (o.decoupled) p = p.map((pi) => pi * (1 - o.lr * wd));
    else g = g.map((gi, i) => gi + wd * p[i]);
    m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]);
    v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i] * g[i]);
    const mHat = m.map((mi) => mi / (1 - b1 ** t));
    let vHat = v.map((vi) => vi / (1 - b2 ** t));
    if (o.amsgrad) {
      vMax = vMax.map((x, i) => Math.max(x, v[i]));
      vHat = vMax.map((x) => x / (1 - b2 ** t));
    }
    p = p.map((pi, i) => pi - (o.lr * mHat[i]) / (Math.sqrt(vHat[i]) + eps));
    out.push(p);
  }
  return out;
}

export function rmspropRef(
  p: Vec,
  grads: (p: Vec) => Vec,
  steps: number,
  o: { lr: number; alpha?: number; eps?: number; momentum?: number; centered?: boolean; weightDecay?: number },
): Vec[] {
  const alpha = o.alpha ?? 0.99;
  const eps = o.eps ?? 1e-8;
  const mu = o.momentum ?? 0;
  const wd = o.weightDecay ?? 0;
  let v = p.map(() => 0);
  let gAve = p.map(() => 0);
  let b = p.map(() => 0);
  const out: Vec[] = [];
  for (let t = 1; t <= steps; t++) {
    const g = grads(p).map((gi, i) => gi + wd * p[i]);
    v = v.map((vi, i) => alpha * vi + (1 - alpha) * g[i] * g[i]);
    let vTilde = [...v];
    if (o.centered) {
      gAve = gAve.map((x, i) => alpha * x + (1 - alpha) * g[i]);
      vTilde = v.map((vi, i) => vi - gAve[i] * gAve[i]);
    }
    if (mu > 0) {
      b = b.map((bi, i) => mu * bi + g[i] / (Math.sqrt(vTilde[i]) + eps));
      p = p.map((pi, i) => pi - o.lr * b[i]);
    } else p = p.map((pi, i) => pi - (o.lr * g[i]) / (Math.sqrt(vTilde[i]) + eps));
    out.push(p);
  }
  return out;
}
