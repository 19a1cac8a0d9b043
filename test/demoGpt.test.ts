/**
 * `npm run demo:gpt`, shrunk to a tiny config (one layer, width 16, 40 steps): it runs from the built
 * dist/, its loss falls, it prints a sample, and the safetensors file it writes loads back into the
 * model with the outputs the trained model had. The full run's loss and sample are in
 * docs/nn-and-optim.md and bench/RESULTS.md, not tested here (minutes of CPU).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Gpt, type GptConfig } from "../demo/gptModel.js";
import { crossEntropy, loadFile } from "../src/nn/index.js";
import * as T from "../src/tensor/index.js";

const out = mkdtempSync(join(tmpdir(), "adjoint-gpt-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const TINY = ["--layers", "1", "--heads", "2", "--width", "16", "--context", "16", "--steps", "40", "--batch", "8", "--lr", "0.01", "--log-every", "20", "--sample", "80"];

function run(args: string[]): { stdout: string; status: number } {
  try {
    return { stdout: execFileSync(process.execPath, ["dist/demo/gpt.js", ...args], { encoding: "utf8", timeout: 120_000 }), status: 0 };
  } catch (e) {
    const err = e as { stdout?: string; status?: number };
    return { stdout: err.stdout ?? "", status: err.status ?? -1 };
  }
}

const losses = (stdout: string) => [...stdout.matchAll(/step \d+: train loss (\d\.\d{4}) {2}held-out loss (\d\.\d{4})/g)].map((m) => [Number(m[1]), Number(m[2])]);

describe("the GPT demo (npm run demo:gpt)", () => {
  it("trains with jitted steps, the loss falls, prints a sample, and writes gpt.png and gpt.safetensors", async () => {
    const { stdout, status } = run([...TINY, "--out", out]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/jitted steps/);
    expect(stdout).toMatch(/steps █+ 20\/20 {2}loss \d\.\d{4}/);
    const curve = losses(stdout);
    expect(curve).toHaveLength(2);
    // Uniform guessing over the 62 characters costs ln 62 ≈ 4.13 nats.
    expect(curve[1][0]).toBeLessThan(curve[0][0]);
    expect(curve[1][1]).toBeLessThan(Math.log(62) - 0.3);
    const sample = /sample \(temperature 0\.8, key 1\):\n─+\n([\s\S]*)\n─+\n/.exec(stdout);
    expect(sample?.[1]).toHaveLength(80);
    expect(stdout).toMatch(/jit: \d+ tokens\/s/);
    expect([...readFileSync(join(out, "gpt.png")).subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);

    // The file loads into a fresh model (other random weights) that then has the trained model's loss on the text's start.
    const loaded = await loadFile(join(out, "gpt.safetensors"));
    const config = JSON.parse(loaded.metadata.config) as GptConfig;
    expect(config).toEqual({ vocab: 62, layers: 1, heads: 2, width: 16, context: 16 });
    const vocab = [...(JSON.parse(loaded.metadata.vocab) as string)];
    const text = readFileSync("demo/data/shakespeare.txt", "utf8").slice(0, config.context + 1);
    const ids = T.tensor(
      Int32Array.from(text, (c) => vocab.indexOf(c)),
      { dtype: "int32", shape: [1, config.context + 1] },
    );
    const model = new Gpt(config, T.rng(99));
    const lossOf = () => {
      const logits = model.forward(
        T.slice(ids, [
          [0, 1],
          [0, config.context],
        ]),
      );
      return crossEntropy(
        T.reshape(logits, [config.context, config.vocab]),
        T.reshape(
          T.slice(ids, [
            [0, 1],
            [1, config.context + 1],
          ]),
          [config.context],
        ),
      ).item();
    };
    const fresh = lossOf();
    model.loadStateDict(loaded.tensors);
    const reloaded = lossOf();
    expect(reloaded).toBeCloseTo(Number(loaded.metadata.checkLoss), 5);
    expect(Math.abs(reloaded - fresh)).toBeGreaterThan(1e-3);
  }, 150_000);

  it("--eager runs the same steps uncompiled to the same losses", () => {
    const jitted = losses(run([...TINY, "--out", out]).stdout);
    const { stdout, status } = run([...TINY, "--out", out, "--eager"]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/eager steps/);
    const eager = losses(stdout);
    expect(eager).toHaveLength(2);
    eager.flat().forEach((l, i) => expect(l).toBeCloseTo(jitted.flat()[i], 3));
  }, 150_000);

  it("writes its checkpoint at every log, before printing the line, so a stopped run keeps it", async () => {
    const dir = join(out, "checkpoints");
    const child = spawn(process.execPath, ["dist/demo/gpt.js", ...TINY, "--out", dir], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    let [printed, paused] = ["", false];
    // Paused at the first log line (step 20 of 40), the files on disk are that step's.
    const atFirstLog = new Promise<void>((resolve) =>
      child.stdout.on("data", (chunk: Buffer) => {
        printed += chunk.toString();
        if (paused || !/step 20: train loss/.test(printed)) return;
        paused = child.kill("SIGSTOP");
        resolve();
      }),
    );
    await atFirstLog;
    const first = await loadFile(join(dir, "gpt.safetensors"));
    expect([...readFileSync(join(dir, "gpt.png")).subarray(0, 4)]).toEqual([137, 80, 78, 71]);
    child.kill("SIGCONT");
    expect(await exited).toBe(0);
    const last = await loadFile(join(dir, "gpt.safetensors"));
    expect([first.metadata.steps, last.metadata.steps]).toEqual(["20", "40"]);
    expect(Number(first.metadata.checkLoss)).not.toBeCloseTo(Number(last.metadata.checkLoss), 4);
  }, 150_000);

  it("--init starts from a checkpoint's parameters, and refuses one of another config", () => {
    const first = join(out, "first");
    const fresh = losses(run([...TINY, "--out", first]).stdout);
    const { stdout, status } = run([...TINY, "--out", join(out, "second"), "--init", join(first, "gpt.safetensors")]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/starting from .*gpt\.safetensors \(40 steps trained\)/);
    // The first 20 steps of the continued run start where the first run ended, below the fresh start.
    expect(losses(stdout)[0][0]).toBeLessThan(fresh[0][0] - 0.1);
    expect(run([...TINY, "--width", "32", "--init", join(first, "gpt.safetensors")]).status).toBe(2);
    expect(run([...TINY, "--init", join(out, "missing.safetensors")]).status).toBe(2);
  }, 150_000);

  it("exits with status 2 on a bad flag", () => {
    expect(run(["--heads", "3", "--width", "16"]).status).toBe(2);
    expect(run(["--steps", "0"]).status).toBe(2);
    expect(run(["--clip", "0"]).status).toBe(2);
    expect(run(["--eval-batches", "0"]).status).toBe(2);
  }, 30_000);
});
