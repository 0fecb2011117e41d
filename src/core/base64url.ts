/**
 * The bytes of `text` when it is canonical unpadded base64url, exactly what
 * `toString('base64url')` writes; null otherwise. Node's decoder skips characters outside the
 * alphabet and ignores the unused low bits of the last character, so many texts decode to the
 * same bytes: a signed token read with it could be edited and still verify.
 */
export function strictBase64url(text: string): Buffer | null {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}
