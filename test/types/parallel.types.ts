/**
 * Compile-time checks of what may cross a thread (`adjoint/parallel`; run by `npm test` via tsc; an
 * unused `@ts-expect-error` fails the type check). Nothing here runs.
 */
import { jit } from "../../src/jit/index.js";
import { Linear } from "../../src/nn/index.js";
import { dataParallel, share, type Postable, type Shared, type WorkerGroup } from "../../src/parallel/index.js";
import { Tape } from "../../src/scalar/index.js";
import { differentiate } from "../../src/transform/index.js";
import { mul, sum, valueAndGrad, type Tensor } from "../../src/tensor/index.js";

export async function onlySharedTensorsAndDataArePostable(g: WorkerGroup, t: Tensor, tape: Tape): Promise<void> {
  const s: Tensor & Shared = share(t);
  await g.request(0, s);
  await g.request(0, { step: 1, data: new Float32Array(4), rows: [s, s], name: "w", buffer: new SharedArrayBuffer(8) });
  // @ts-expect-error a tensor whose storage is not shared: share() it
  await g.request(0, t);
  // @ts-expect-error nor inside a tree
  await g.request(0, { w: t });
  // @ts-expect-error a tape variable is bound to its tape's thread
  await g.request(0, tape.variable(1));
  // @ts-expect-error a tape
  await g.request(0, tape);
  // @ts-expect-error a graph node
  await g.request(0, mul(t, 2).node);
  // @ts-expect-error a module
  await g.request(0, new Linear(2, 2));
  const jitted = jit((x: Tensor) => x);
  const derivative = differentiate((x: number) => x * x);
  // @ts-expect-error compiled code: a jitted function
  await g.request(0, jitted);
  // @ts-expect-error compiled code: a differentiate()d function
  await g.request(0, derivative);
  // @ts-expect-error any function
  await g.request(0, () => 1);
}

export function aSharedTensorIsStillATensor(t: Tensor): Tensor {
  const s = share(t);
  // A Shared brand is only made by share(): a plain tensor is not one.
  // @ts-expect-error a plain tensor is not Shared
  const fake: Tensor & Shared = t;
  const p: Postable = s;
  return sum(mul(s, 2))
    .add(fake)
    .add(p as Tensor);
}

type Params = { w: Tensor; b: Tensor };

export async function dataParallelWantsSharedParameters(p: Params, x: Tensor): Promise<Tensor> {
  const step = dataParallel(
    valueAndGrad((q: Params, batch: [Tensor]) => sum(mul(mul(batch[0], q.w), q.b))),
    { workers: 2 },
  );
  const shared = { w: share(p.w), b: share(p.b) };
  const [loss] = await step(shared, [x]);
  // @ts-expect-error the parameters must be share()d: they live in shared memory
  await step(p, [x]);
  // @ts-expect-error workers is required
  dataParallel((q: Params) => q.w, {});
  // @ts-expect-error an unknown option
  dataParallel((q: Params) => q.w, { workers: 2, worker: 1 });
  return loss;
}
