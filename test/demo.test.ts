/**
 * `npm start`'s training demo, shortened (one epoch on 640 digits): it runs from the built dist/,
 * prints its progress and per-epoch accuracy, and writes a valid PNG and a safetensors file that
 * loads back into the same model. The full run's accuracy is reported in docs/nn-and-optim.md, not tested
 * here (minutes, and the machines are noisy).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { createCanvas, loadImage } from "@napi-rs/canvas";
import { afterAll, describe, expect, it } from "vitest";
import { loadFile } from "../src/nn/index.js";

const out = mkdtempSync(join(tmpdir(), "adjoint-demo-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function run(args: string[]): { stdout: string; status: number } {
  try {
    return { stdout: execFileSync(process.execPath, ["dist/demo/train.js", ...args], { encoding: "utf8", timeout: 120_000 }), status: 0 };
  } catch (e) {
    const err = e as { stdout?: string; status?: number };
    return { stdout: err.stdout ?? "", status: err.status ?? -1 };
  }
}

describe("the training demo (npm start)", () => {
  it("trains, reports, and writes out/training.png and out/model.safetensors", async () => {
    const { stdout, status } = run(["--epochs", "1", "--limit", "640", "--target", "0.3", "--out", out, "--seed", "3"]);
    expect(status).toBe(0);
    expect(stdout).toMatch(/trains a CNN/);
    expect(stdout).toMatch(/epoch 1\/1 .* 640\/640 {2}loss \d\.\d{4} {2}acc \d+\.\d\d%/);
    expect(stdout).toMatch(/test: loss \d\.\d{4} {2}accuracy \d+\.\d\d%/);
    expect(stdout).toMatch(/✓ test accuracy/);
    // The jitted functional step is the default, and the demo says how fast it ran.
    expect(stdout).toMatch(/jitted steps/);
    expect(stdout).toMatch(/jit: \d+\.\d training steps\/s/);

    // The PNG (Chart.js on @napi-rs/canvas): signature, every chunk's CRC, the stated size, and it decodes
    // to that size with both series' colours drawn in the loss panel (left half).
    const png = readFileSync(join(out, "training.png"));
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    let at = 8;
    const types: string[] = [];
    while (at < png.length) {
      const length = png.readUInt32BE(at);
      types.push(png.toString("latin1", at + 4, at + 8));
      expect(crc32(png.subarray(at + 4, at + 8 + length))).toBe(png.readUInt32BE(at + 8 + length));
      at += 12 + length;
    }
    expect(types[0]).toBe("IHDR");
    expect(types[types.length - 1]).toBe("IEND");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([960, 320]);
    const image = await loadImage(png);
    const canvas = createCanvas(image.width, image.height);
    canvas.getContext("2d").drawImage(image, 0, 0);
    const { data } = canvas.getContext("2d").getImageData(0, 0, 480, 320);
    const count = (r: number, g: number, b: number) => {
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 30) n++;
      return n;
    };
    expect(count(31, 119, 180)).toBeGreaterThan(20); // train, #1f77b4
    expect(count(214, 39, 40)).toBeGreaterThan(20); // test, #d62728

    // The model file: the CNN's parameters by name, with their shapes, and the run's metadata.
    const loaded = await loadFile(join(out, "model.safetensors"));
    const shapes = Object.fromEntries(Object.entries(loaded.tensors).map(([k, t]) => [k, t.shape]));
    expect(shapes).toEqual({ "0.weight": [16, 1, 3, 3], "0.bias": [16], "3.weight": [32, 16, 3, 3], "3.bias": [32], "7.weight": [10, 800], "7.bias": [10] });
    expect(loaded.metadata).toMatchObject({ model: "cnn", epochs: "1" });
  }, 150_000);

  it("exits with status 1 when the accuracy misses the target, and 2 on a bad flag", () => {
    expect(run(["--epochs", "1", "--limit", "64", "--target", "0.999", "--out", out]).status).toBe(1);
    expect(run(["--model", "rnn"]).status).toBe(2);
  }, 150_000);
});
