/** A worker module for the worker-group tests: echoes a request, doubles a shared tensor in place, fails or exits when asked. */
import { AdError } from "../../src/errors.js";
import { isShared, serveRequests } from "../../src/parallel/index.js";
import { mul, noGrad } from "../../src/tensor/index.js";

await serveRequests((message) => {
  if (message === "exit") (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(3);
  if (message === "fail") throw new AdError("SingularMatrix", "asked to fail", { op: "echo", value: 3 });
  if (message === "hang") return new Promise(() => undefined);
  if (isShared(message)) {
    noGrad(() => message.assign(mul(message, 2)));
    return "doubled";
  }
  return message;
});
