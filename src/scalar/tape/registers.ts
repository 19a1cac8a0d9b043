/**
 * Register promotion for generated sweeps (`generated.ts`): array elements an instance reads or
 * updates, held in locals for the instance's statements.
 */
const ELEMENT = /\b(X|v|G|adj)\[([^\]]+)\]/g;
const INDEX = /^(-?\d+)(?: \+ (?:(-?\d+) \* )?r)?$/;

/**
 * One instance's statements with its array elements in locals: each element of a `read` array read
 * once at the top, and each element of an `updated` array used more than once read at the top and
 * written back at the bottom. V8 cannot do this itself (typed arrays may share a buffer); here the
 * arrays are known apart (the caller copies an x that shares the gradient's buffer), and an updated
 * array's elements are all distinct in every repetition when their indices step alike. Each element
 * sees the same operations in the same order, so results are bit for bit the same. Each element of
 * the `checked` array is also added into `F` as x − x: F stays 0 only while they are all finite.
 */
export function inRegisters(lines: readonly string[], read: readonly string[], updated: readonly string[], checked?: string): string[] {
  const text = lines.join("\n");
  const uses = new Map<string, number>();
  const steps = new Map<string, Set<string>>();
  for (const [element, array, index] of text.matchAll(ELEMENT)) {
    uses.set(element, (uses.get(element) ?? 0) + 1);
    const step = INDEX.exec(index);
    if (!steps.has(array)) steps.set(array, new Set());
    (steps.get(array) as Set<string>).add(step === null ? "?" : (step[2] ?? (index.endsWith("r") ? "1" : "0")));
  }
  const head: string[] = [];
  const tail: string[] = [];
  const names = new Map<string, string>();
  for (const [element, count] of uses) {
    const array = element.slice(0, element.indexOf("["));
    const aligned = steps.get(array)?.size === 1 && !steps.get(array)?.has("?");
    const isUpdated = updated.includes(array);
    if (!(read.includes(array) || (isUpdated && aligned && count > 1))) continue;
    const name = `m${names.size}`;
    names.set(element, name);
    head.push(array === checked ? `let ${name} = ${element}; F += ${name} - ${name};` : `let ${name} = ${element};`);
    if (isUpdated) tail.push(`${element} = ${name};`);
  }
  return [...head, text.replace(ELEMENT, (element) => names.get(element) ?? element), ...tail];
}
