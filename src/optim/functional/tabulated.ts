/**
 * A number schedule (`cosineDecay`, `warmupCosine`, any `(step) => rate`) as a functional learning
 * rate: its values for steps 0 … steps − 1 are computed once into a float64 table, and the rate at a
 * step count (a traced int32 tensor inside `jit`) is a lookup, clamped to the last entry. So the
 * classes' schedules drive the functional optimisers, jitted or not, with the classes' values.
 */
import { expectFunction, expectInteger } from "../../errors.js";
import { tensor } from "../../tensor/creation.js";
import { gather } from "../../tensor/primitives/gather.js";
import { minimum } from "../../tensor/primitives/select.js";
import { reshape } from "../../tensor/primitives/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { Schedule } from "../schedules.js";
import type { LearningRate } from "./transformation.js";

export function tabulated(schedule: Schedule, steps: number): LearningRate {
  const op = "tabulated";
  const f = expectFunction(op, "schedule", schedule) as Schedule;
  const n = expectInteger(op, "steps", steps, 1, 1 << 24);
  const values = Float64Array.from({ length: n }, (_, i) => f(i));
  // One table per device the step count lives on (float32 where the device has no float64, e.g. webgpu).
  const tables = new Map<string, Tensor>();
  const tableOn = (device: string): Tensor => {
    let table = tables.get(device);
    if (table === undefined) {
      table = device === "cpu" ? tensor(values, { device }) : tensor(Float32Array.from(values), { device });
      tables.set(device, table);
    }
    return table;
  };
  return (count) => reshape(gather(tableOn(count.device.name), 0, reshape(minimum(count, n - 1), [1])), []);
}
