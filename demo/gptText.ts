/**
 * The text side of the character-level GPT, shared by `npm run demo:gpt` (gpt.ts) and the
 * playground's GPT tab: the vocabulary, seeded batches of windows, and temperature sampling.
 */
import * as T from "../src/tensor/index.js";
import type { Tensor } from "../src/tensor/index.js";
import type { Gpt } from "./gptModel.js";

/** The sorted characters of `text`, and the text as int32 tokens over them. */
export function tokenize(text: string): { vocab: string[]; tokenOf: Map<string, number>; tokens: Int32Array } {
  const vocab = [...new Set(text)].sort();
  const tokenOf = new Map(vocab.map((c, i) => [c, i]));
  return { vocab, tokenOf, tokens: Int32Array.from(text, (c) => tokenOf.get(c)!) };
}

/** A seeded generator of uniforms in [0, 1) (mulberry32): the batches are a function of the seed alone. */
export function uniforms(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** `batch` random windows of `tokens` within [from, to): inputs [batch, context] and their next characters. */
export function windows(tokens: Int32Array, batch: number, context: number, nextUniform: () => number, from: number, to: number): [Tensor, Tensor] {
  const x = new Int32Array(batch * context);
  const y = new Int32Array(batch * context);
  for (let b = 0; b < batch; b++) {
    const at = from + Math.floor(nextUniform() * (to - from - context - 1));
    x.set(tokens.subarray(at, at + context), b * context);
    y.set(tokens.subarray(at + 1, at + context + 1), b * context);
  }
  return [T.tensor(x, { dtype: "int32", shape: [batch, context] }), T.tensor(y, { dtype: "int32", shape: [batch, context] })];
}

/**
 * `length` tokens drawn one at a time after `start`, each from the softmax of the logits over
 * `temperature`, with uniforms from `random.key(seed)`. `forward` maps [1, L] int32 tokens on the
 * host to logits [1, L, vocab] (on any device: they are read with `await read()`).
 */
export async function sample(forward: (indices: Tensor) => Tensor, config: Gpt["config"], start: number, length: number, temperature: number, seed: number): Promise<number[]> {
  const draws = await T.random.uniform(T.random.key(seed), [length]).read();
  const generated = [start];
  for (let i = 0; i < length; i++) {
    const window = generated.slice(-config.context);
    const logits = T.noGrad(() => forward(T.tensor(Int32Array.from(window), { dtype: "int32", shape: [1, window.length] })));
    const last = T.slice(logits, [
      [0, 1],
      [window.length - 1, window.length],
    ]);
    const p = await T.noGrad(() => T.softmax(T.mul(T.reshape(last, [config.vocab]), 1 / temperature), -1)).read();
    let [c, acc] = [0, p[0]];
    while (acc < draws[i] && c < config.vocab - 1) acc += p[++c];
    generated.push(c);
  }
  return generated.slice(1);
}
