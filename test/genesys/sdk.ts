import { createRequire } from 'node:module';
import { tempDir } from '../helpers/app.js';

/**
 * Loads the official JavaScript SDK (purecloud-platform-client-v2). It reads (and watches)
 * ~/.genesyscloudjavascript/config when it loads, so it gets an empty home first; its ApiClient
 * is a process-wide singleton, so a test file that drives it runs one server, tests in sequence.
 */
export function loadGenesysSdk() {
  const home = tempDir('trailkeep-genesys-home-');
  process.env.HOME = home.dir;
  process.env.USERPROFILE = home.dir;
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's typings describe its ESM build; the CommonJS one is loaded here.
  const pc: any = createRequire(import.meta.url)('purecloud-platform-client-v2');
  const client = pc.ApiClient.instance;
  client.config.setConfigPath('');
  return { pc, client, home };
}
