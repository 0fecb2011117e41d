import type { Config } from '../config/config.js';
import type { SettingStore } from '../store/types.js';
import { hashSecret, randomToken } from './auth/secrets.js';

export interface Secrets {
  /** Signs cursors, tokens and links; from config, else generated once and kept in the store. */
  serverSecret: string;
  adminTokenHash: string;
  /** Set only on the first start without TRAILKEEP_ADMIN_TOKEN: shown to the operator once. */
  generatedAdminToken?: string;
}

/** Resolves the server secret and the operator token, creating and persisting them on first start. */
export async function loadSecrets(
  config: Pick<Config, 'TRAILKEEP_SECRET' | 'TRAILKEEP_ADMIN_TOKEN'>,
  settings: SettingStore,
): Promise<Secrets> {
  const serverSecret =
    config.TRAILKEEP_SECRET ?? (await settings.putIfAbsent('server_secret', randomToken(48)));
  if (config.TRAILKEEP_ADMIN_TOKEN)
    return { serverSecret, adminTokenHash: hashSecret(config.TRAILKEEP_ADMIN_TOKEN) };
  const candidate = `tka_${randomToken()}`;
  const stored = await settings.putIfAbsent('admin_token_hash', hashSecret(candidate));
  return stored === hashSecret(candidate)
    ? { serverSecret, adminTokenHash: stored, generatedAdminToken: candidate }
    : { serverSecret, adminTokenHash: stored };
}
