/**
 * Property tests explore new random inputs on every local run. CI sets FC_SEED so that a run is
 * reproducible and a red CI always means a real regression, never an unlucky draw; a failure prints
 * its seed and path either way, so a local counterexample can be replayed.
 */
import fc from "fast-check";

const seed = process.env.FC_SEED;
if (seed !== undefined && seed !== "") fc.configureGlobal({ seed: Number(seed) });
