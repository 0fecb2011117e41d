/**
 * The arithmetic of an inclusion proof's verification (RFC 9162 §2.1.3.2), apart from hashing:
 * for leaf `index` in a tree of `size`, on which side each hash of an audit path of `length`
 * hashes goes. The server's verifier (merkle.ts, node:crypto) and the viewer's
 * (web/src/verify/merkle.ts, WebCrypto) fold the path with it, so both read a proof alike.
 * Pure: no imports, so the viewer's build takes it as it is.
 */

const half = (n: number) => Math.floor(n / 2);
const odd = (n: number) => n % 2 === 1;

/**
 * For each hash of the path, true when it is the left child (hashed as `node(hash, r)`), false
 * when it is the right one (`node(r, hash)`); null when a path of `length` hashes cannot belong to
 * that index and size (too long or too short), or the index is not in the tree.
 */
export function inclusionSides(index: number, size: number, length: number): boolean[] | null {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return null;
  let fn = index;
  let sn = size - 1;
  const sides: boolean[] = [];
  for (let i = 0; i < length; i++) {
    if (sn === 0) return null;
    if (odd(fn) || fn === sn) {
      sides.push(true);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sides.push(false);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? sides : null;
}
