import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

/** The part of s3rver (which ships no types) the tests use. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string; configs: string[] }[];
}) => S3rverInstance;

/** The access key s3rver accepts (its only account), and its secret. */
export const S3RVER_KEY = { access_key_id: 'S3RVER', secret_access_key: 'S3RVER' };

/** A local S3 (s3rver) on 127.0.0.1 with `buckets`, storing in `directory`; its endpoint URL. */
export async function startS3rver(
  directory: string,
  buckets: string[],
): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, close: () => server.close() };
}
