/** The playground page: three tabs wired to derivatives.ts, train.ts and gpt.ts, and the device switch (device.ts). */
import { getBackend, getThreads } from "../../src/tensor/index.js";
import { analyse } from "./derivatives.js";
import { availableChoices, useChoice, type Choice } from "./device.js";
import { DrawPad, paintMap } from "./draw.js";
import { GptTrainer } from "./gpt.js";
import { clearPlot, plot } from "./plot.js";
import { fetchDigits, Trainer } from "./train.js";

const $ = <E extends HTMLElement>(id: string) => document.getElementById(id) as E;

const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
const showDevice = (label: string) =>
  ($("backend").textContent = `device: ${label}${getBackend() === "wasm" && label === "wasm" ? `, ${isolated ? getThreads() : 1} thread(s)` : ""}`);
showDevice(getBackend());

for (const tab of document.querySelectorAll<HTMLButtonElement>(".tab")) {
  tab.addEventListener("click", () => {
    for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t === tab);
    for (const p of document.querySelectorAll(".panel")) p.classList.toggle("active", p.id === tab.dataset.tab);
  });
}

// ── Derivatives ──────────────────────────────────────────────────────────────────────────────
const fmt = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(12)).toString() : String(v));

function show(id: string, v: number): void {
  $(id).textContent = fmt(v);
  $(id).dataset.value = String(v);
}

function refresh(): void {
  const error = $("error");
  try {
    const r = analyse(
      $<HTMLInputElement>("fn").value,
      Number($<HTMLInputElement>("from").value),
      Number($<HTMLInputElement>("to").value),
      Number($<HTMLInputElement>("x0").value),
      $<HTMLCanvasElement>("plot"),
    );
    error.hidden = true;
    show("value-f", r.f);
    show("value-d1", r.d1);
    show("value-d2", r.d2);
    $("dual-check").textContent =
      r.dualGap === undefined ? "— (this function is outside the dual rewrite)" : `agree to ${Math.max(r.dualGap.d1, r.dualGap.d2).toExponential(1)} over the plot`;
    $("dual-check").dataset.gap = r.dualGap === undefined ? "" : String(Math.max(r.dualGap.d1, r.dualGap.d2));
    $("source").textContent = r.source;
    document.body.dataset.derivatives = "ready";
  } catch (e) {
    error.hidden = false;
    error.textContent = e instanceof Error ? e.message : String(e);
    // Nothing of the last function that worked may stay on screen as if it were this one's.
    clearPlot($<HTMLCanvasElement>("plot"));
    for (const id of ["value-f", "value-d1", "value-d2", "dual-check", "source"]) {
      $(id).textContent = "";
      delete $(id).dataset.value;
    }
    document.body.dataset.derivatives = "error";
  }
}
for (const id of ["fn", "from", "to", "x0"]) $(id).addEventListener("input", refresh);
refresh();

// ── Training ─────────────────────────────────────────────────────────────────────────────────
let trainer: Trainer | undefined;
let running = false;
let device = "cpu";
const pad = new DrawPad($<HTMLCanvasElement>("pad"), () => void predict());

async function predict(): Promise<void> {
  if (trainer === undefined) return;
  const image = pad.toImage();
  if (!image.some((v) => v > 0)) return;
  const { probabilities, saliency, digit } = await trainer.predict(image);
  paintMap($<HTMLCanvasElement>("saliency"), saliency, (v) => [255 * Math.min(1, 2 * v), 255 * Math.max(0, 2 * v - 1), 40]);
  $("prediction").innerHTML = Array.from(
    probabilities,
    (p, c) => `<div class="bar${c === digit ? " best" : ""}"><b>${c}</b><i style="width:${Math.round(p * 120)}px"></i>${(100 * p).toFixed(1)}%</div>`,
  ).join("");
  $("prediction").dataset.digit = String(digit);
}

function drawLoss(): void {
  if (trainer === undefined || trainer.losses.length < 2) return;
  const ls = trainer.losses;
  // A running mean over 20 steps: single batches are noisy.
  const smooth = ls.map((_, i) => ls.slice(Math.max(0, i - 19), i + 1).reduce((s, v) => s + v, 0) / Math.min(i + 1, 20));
  plot($<HTMLCanvasElement>("loss"), { xs: ls.map((_, i) => i + 1), series: [{ label: "loss (mean of 20 steps)", color: "#1f77b4", ys: smooth }], xLabel: "step" });
}

/** The last held-out accuracy and the step it was measured at: shown on every frame until the next. */
let accuracy: { readonly value: number; readonly step: number } | undefined;

async function measureAccuracy(t: Trainer): Promise<void> {
  if (accuracy?.step !== t.steps) accuracy = { value: await t.accuracy(), step: t.steps };
}

function showStatus(t: Trainer): void {
  if (t.losses.length === 0) return;
  const status = $("status");
  status.textContent = `step ${t.steps} on ${t.device}, loss ${t.losses[t.losses.length - 1].toFixed(3)}`;
  status.dataset.steps = String(t.steps);
  if (accuracy !== undefined) {
    status.dataset.accuracy = String(accuracy.value);
    status.textContent += `, held-out accuracy ${(100 * accuracy.value).toFixed(1)}% (at step ${accuracy.step})`;
  }
}

/** Trains `t` until paused, or until the device switch replaces it. */
async function loop(t: Trainer): Promise<void> {
  const live = () => running && trainer === t;
  while (live()) {
    const t0 = performance.now();
    const before = t.steps;
    while (live() && performance.now() - t0 < 40) await t.step(); // a few steps, then let the page draw
    // Every 100 steps: a frame runs several steps, so test for crossing a multiple, not landing on one.
    if (Math.floor(t.steps / 100) > Math.floor(before / 100)) await measureAccuracy(t);
    drawLoss();
    showStatus(t);
    await new Promise((r) => requestAnimationFrame(() => r(undefined)));
  }
}

$("start").addEventListener("click", async () => {
  $<HTMLButtonElement>("start").disabled = true;
  $<HTMLButtonElement>("pause").disabled = false;
  trainer ??= new Trainer(await fetchDigits(), device);
  running = true;
  void loop(trainer);
});
function pause(): void {
  running = false;
  $<HTMLButtonElement>("start").disabled = false;
  $<HTMLButtonElement>("pause").disabled = true;
}
$("pause").addEventListener("click", async () => {
  pause();
  if (trainer !== undefined) {
    await measureAccuracy(trainer); // where training stopped, and it stays on screen while paused
    showStatus(trainer);
  }
  void predict();
});

// The switch offers what this browser has; a new choice starts a new model on that device.
const select = $<HTMLSelectElement>("device");
void availableChoices().then((choices) => {
  select.innerHTML = choices.map((c) => `<option value="${c}"${c === getBackend() ? " selected" : ""}>${c}</option>`).join("");
  select.dataset.choices = choices.join(" ");
});
select.addEventListener("change", async () => {
  pause();
  select.disabled = true;
  const chosen = await useChoice(select.value as Choice);
  device = chosen.device;
  showDevice(chosen.label);
  trainer = undefined;
  accuracy = undefined;
  select.disabled = false;
  select.dataset.device = device;
});
$("clear").addEventListener("click", () => pad.clear());

// ── GPT ──────────────────────────────────────────────────────────────────────────────────────
let gpt: GptTrainer | undefined;
let gptRunning = false;
const gptSelect = $<HTMLSelectElement>("gpt-device");
// The fastest this browser has: webgpu where there is an adapter, else wasm.
const gptChoice = availableChoices().then((choices) => {
  const best = choices.includes("webgpu") ? "webgpu" : choices[0];
  gptSelect.innerHTML = choices.map((c) => `<option value="${c}"${c === best ? " selected" : ""}>${c}</option>`).join("");
  return best;
});
gptSelect.addEventListener("change", () => {
  gptPause();
  gpt = undefined;
});

async function gptLoop(t: GptTrainer): Promise<void> {
  while (gptRunning && gpt === t) {
    const t0 = performance.now();
    while (gptRunning && gpt === t && performance.now() - t0 < 40) await t.step();
    const ls = t.losses;
    if (ls.length >= 2) plot($<HTMLCanvasElement>("gpt-loss"), { xs: ls.map((_, i) => i + 1), series: [{ label: "loss", color: "#1f77b4", ys: ls }], xLabel: "step" });
    $("gpt-status").textContent = `step ${t.steps} on ${t.device}, loss ${ls[ls.length - 1].toFixed(3)}`;
    $("gpt-status").dataset.steps = String(t.steps);
    await new Promise((r) => requestAnimationFrame(() => r(undefined)));
  }
}

$("gpt-start").addEventListener("click", async () => {
  $<HTMLButtonElement>("gpt-start").disabled = true;
  $<HTMLButtonElement>("gpt-pause").disabled = false;
  await gptChoice;
  // The switches share the host backend: the GPT's choice is made again at each start.
  const chosen = await useChoice(gptSelect.value as Choice);
  showDevice(chosen.label);
  gpt ??= new GptTrainer(chosen.device);
  gptRunning = true;
  void gptLoop(gpt);
});
function gptPause(): void {
  gptRunning = false;
  $<HTMLButtonElement>("gpt-start").disabled = false;
  $<HTMLButtonElement>("gpt-pause").disabled = true;
}
$("gpt-pause").addEventListener("click", async () => {
  gptPause();
  if (gpt === undefined || gpt.steps === 0) return;
  $("gpt-sample").textContent = await gpt.sample();
  $("gpt-sample").dataset.steps = String(gpt.steps);
});

/** For tests and the console: the trainers, and the pad to draw on without a mouse. */
(globalThis as { playground?: unknown }).playground = {
  get trainer() {
    return trainer;
  },
  get gpt() {
    return gpt;
  },
  pad,
  predict,
};
