import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Seals a stream's secrets (tokens, API keys, HMAC keys) with AES-256-GCM under a key derived
 * from the server secret for this purpose only: a database dump alone does not give them away,
 * and a sealed box altered in the database fails to open instead of yielding other secrets.
 * The tenant and stream id are the associated data, so a box copied to another stream fails too.
 */
export class StreamSecrets {
  constructor(private readonly key: Buffer) {}

  seal(values: Record<string, string>, tenant: string, stream: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(`${tenant}/${stream}`));
    const body = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  open(sealed: string, tenant: string, stream: string): Record<string, string> {
    const raw = Buffer.from(sealed.replace(/^v1\./, ''), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12)).setAAD(
      Buffer.from(`${tenant}/${stream}`),
    );
    decipher.setAuthTag(raw.subarray(12, 28));
    const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    return JSON.parse(text) as Record<string, string>;
  }
}
