/**
 * Multi-valued query parameters arrive in several encodings: repeated (`a=1&a=2`), repeated
 * with `[]` (`a[]=1&a[]=2`) and comma-joined (`a=1,2`, what many clients make of an array).
 * This folds any mix of them into one list of non-empty values, in the order given.
 */
export function multiValues(...given: (string | string[] | undefined)[]): string[] {
  const out: string[] = [];
  for (const g of given) {
    if (g === undefined) continue;
    for (const v of Array.isArray(g) ? g : [g]) {
      for (const part of v.split(',')) {
        const p = part.trim();
        if (p !== '') out.push(p);
      }
    }
  }
  return out;
}
