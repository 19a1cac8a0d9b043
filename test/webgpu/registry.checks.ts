/**
 * Run in a child process by registry.test.ts: the registry walk (registryWalk.ts: every primitive's
 * case on the "webgpu" device against the cpu, matching within the op's tolerance or refused with
 * `UnsupportedOp`; anything else is a failure). Prints one JSON line:
 * { unsupported: [case, op that refused][], checked, failures, errors }.
 */
import { walkRegistry } from "./registryWalk.js";
import { finish, startGPU } from "./setup.js";

const { handle, errors } = await startGPU();
const { unsupported, checked, failures } = await walkRegistry();
await finish(handle, { unsupported, checked, failures, errors });
