/**
 * `debug.print` runs inside a jitted function at every call with that call's values (an equation of
 * the program with a host callback), prints at once eagerly, and survives the passes; a plain
 * `console.log` in a jitted function runs at trace time only.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { debug, jit } from "../../src/jit/index.js";
import { add, grad, mul, sin, sum, tensor, valueAndGrad, vmap, type Tensor } from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";

let log = vi.spyOn(console, "log").mockImplementation(() => {});
afterEach(() => {
  log.mockRestore();
  log = vi.spyOn(console, "log").mockImplementation(() => {});
});
const printed = () => log.mock.calls.map((c) => String(c[0]));

describe("debug.print", () => {
  it("prints at once eagerly, each {} replaced by a tensor", () => {
    debug.print("x = {}, y = {}", tensor([1, 2]), tensor(3));
    expect(printed()).toEqual([`x = ${String(tensor([1, 2]))}, y = ${String(tensor(3))}`]);
  });

  it("runs at every call of a jitted function with that call's values; console.log runs at trace time only", () => {
    const f = jit((x: Tensor) => {
      console.log("tracing");
      const y = mul(sin(x), 2);
      debug.print("y = {}", y);
      return add(y, 1);
    });
    f(tensor([0, 1]));
    f(tensor([2, 3]));
    f(tensor([4, 5]));
    const y = (v: number[]) => `y = ${String(mul(sin(tensor(v)), 2))}`;
    expect(printed()).toEqual(["tracing", y([0, 1]), y([2, 3]), y([4, 5])]);
    expect(f.traces).toBe(1);
  });

  it("is an equation of the program that dead-code elimination keeps, though nothing reads it", () => {
    const f = jit((x: Tensor) => {
      debug.print("unused {}", mul(x, 3));
      return sum(x);
    });
    const text = String(f.lower(tensor([1, 2])));
    expect(text).toContain("debugPrint");
    expect(text).toContain("mul");
  });

  it("prints the forward values inside a jitted valueAndGrad, and the gradient is unchanged", () => {
    const loss = (x: Tensor) => {
      const s = sum(mul(x, x));
      debug.print("loss {}", s);
      return s;
    };
    const g = jit(valueAndGrad(loss));
    const [value, grad] = g(tensor([1, 2])) as [Tensor, Tensor];
    expect(printed()).toEqual([`loss ${String(tensor(5))}`]);
    expect(value.item()).toBe(5);
    expect(Array.from(grad.data())).toEqual([2, 4]);
  });

  it("under vmap prints each example; under grad prints the primal and adds nothing to the gradient", () => {
    vmap((x: Tensor) => {
      debug.print("row {}", x);
      return x;
    })(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(printed()).toEqual([`row ${String(tensor([1, 2]))}`, `row ${String(tensor([3, 4]))}`]);
    const g = grad((x: Tensor) => {
      debug.print("x {}", mul(x, 1));
      return sum(mul(x, x));
    })(tensor([1, 2])) as Tensor;
    expect(Array.from(g.data())).toEqual([2, 4]);
    expect(printed()).toHaveLength(3);
  });

  it("refuses a placeholder count that does not match, and non-tensors", () => {
    expect(thrown(() => debug.print("{} {}", tensor(1)))).toMatchObject({ code: "InvalidArgument", details: { op: "debug.print" } });
    expect(thrown(() => debug.print("{}", 3 as never))).toMatchObject({ code: "InvalidArgument", details: { op: "debug.print" } });
    expect(thrown(() => debug.print(3 as never))).toMatchObject({ code: "InvalidArgument", details: { op: "debug.print" } });
  });
});
