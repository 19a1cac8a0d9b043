/**
 * Max pooling's argmax once per run: a forward `maxPool2d(x)` and a backward `maxPool2dGrad(x, g)` of
 * the same x and window each find the maxima of x's windows (the larger part of a small CNN's step).
 * In the program an unwatched call runs, the pair becomes two equations sharing the indices: the
 * forward keeps the ones it found, the backward (later in the program, in the same run) scatters g
 * through them. The program text shows `argmax=kept` and `argmax=shared`. The kernels are the same,
 * so are the bits.
 */
import type { DeviceBuffer } from "../../backends/buffer.js";
import { Program, type Equation, type Variable } from "../../tensor/index.js";
import { definePrimitive, type Primitive } from "../../tensor/primitive.js";
import { maxPool2dGradP, maxPool2dP, type PoolParams } from "../../tensor/primitives/pool.js";
import { fromStorage } from "../../tensor/tensor.js";

const sameWindow = (a: PoolParams, b: PoolParams) => (["kernel", "stride", "padding", "dilation"] as const).every((key) => a[key][0] === b[key][0] && a[key][1] === b[key][1]);

/** The forward and backward of one pooling, sharing `argmax` (set by the forward of each run). */
function shared(forward: Equation, backward: Equation): [Equation, Equation] {
  const p = forward.params as PoolParams;
  let argmax: DeviceBuffer | undefined;
  const keep = definePrimitive<PoolParams>("maxPool2d", {
    abstract: (xs, params) => maxPool2dP.abstract(xs, params),
    impl: ([x], _, k) => {
      const [outH, outW] = forward.output.shape.slice(2);
      argmax = k.maxPool2dArgmax(x, p.kernel, p, outH, outW);
      return fromStorage(k.gatherPlanes(x, argmax, outH, outW), x.dtype, [...forward.output.shape]);
    },
  });
  const reuse = definePrimitive<PoolParams>("maxPool2dGrad", {
    abstract: (xs, params) => maxPool2dGradP.abstract(xs, params),
    impl: ([x, g], _, k) => fromStorage(k.scatterPlanes(g, argmax as DeviceBuffer, x.shape[2], x.shape[3], p.kernel, p), g.dtype, [...x.shape]),
  });
  return [
    { ...forward, primitive: keep as Primitive<unknown>, params: { ...p, argmax: "kept" } },
    { ...backward, primitive: reuse as Primitive<unknown>, params: { ...(backward.params as PoolParams), argmax: "shared" } },
  ];
}

/** `p` with each `maxPool2dGrad` whose x was pooled by an earlier `maxPool2d` of the same window reading that one's argmax. */
export function shareArgmax(p: Program): Program {
  const pooled = new Map<Variable, Equation[]>();
  const replaced = new Map<Equation, Equation>();
  for (const eq of p.equations) {
    const [x] = eq.inputs;
    if (eq.primitive === maxPool2dP) pooled.set(x, [...(pooled.get(x) ?? []), eq]);
    if (eq.primitive !== maxPool2dGradP) continue;
    const forward = pooled.get(x)?.find((f) => !replaced.has(f) && sameWindow(f.params as PoolParams, eq.params as PoolParams));
    if (forward === undefined) continue;
    const [keep, reuse] = shared(forward, eq);
    replaced.set(forward, keep);
    replaced.set(eq, reuse);
  }
  if (replaced.size === 0) return p;
  return new Program(
    p.inputs,
    p.constants,
    p.equations.map((eq) => replaced.get(eq) ?? eq),
    p.outputs,
    p.rebuild,
  );
}
