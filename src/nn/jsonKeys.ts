/**
 * `JSON.parse` keeps the last of two equal keys in an object and says nothing. In a safetensors
 * header that is an ambiguity another reader may resolve the other way (two entries for one tensor,
 * two `__metadata__`), so the loader looks for duplicates itself, in every object at every depth.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/**
 * The first key that appears twice in one object of `json`, or undefined. `json` must be text that
 * `JSON.parse` accepted: then only strings and brackets need tracking, in one linear pass.
 */
export function firstDuplicateKey(json: string): string | undefined {
  // One entry per open bracket: the keys of an object so far, or null for an array.
  const open: (Set<string> | null)[] = [];
  let atKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      // Bounded, so that even text JSON.parse would refuse ends the scan instead of running on.
      for (i++; i < json.length && json.charCodeAt(i) !== QUOTE; i++) if (json.charCodeAt(i) === BACKSLASH) i++;
      const keys = open[open.length - 1];
      if (atKey && keys) {
        // Decoded, so "a" and "\u0061" are the same key, as they are to JSON.parse.
        const key = JSON.parse(json.slice(start, i + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        atKey = false;
      }
    } else if (c === OPEN_OBJECT) {
      open.push(new Set());
      atKey = true;
    } else if (c === OPEN_ARRAY) {
      open.push(null);
      atKey = false;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      open.pop();
      atKey = false;
    } else if (c === COMMA) {
      // In an array this marks nothing: an array records no keys.
      atKey = true;
    }
  }
  return undefined;
}
