import type { Config } from '../../config/config.js';
import { generateSigner, parseSigner, type Signer } from '../../core/log/note.js';
import type { SettingStore } from '../../store/types.js';

/** Where a generated signing key is kept: one per log name, so renaming the log never reuses a key under another name. */
const settingKey = (name: string) => `log_signer:${name}`;

/**
 * The log's signing key: TRAILKEEP_LOG_KEY when the operator supplies one, else the one kept in
 * the database, generated on the first start. `putIfAbsent` makes every node of a PostgreSQL
 * deployment, however many start at once, sign with the same key.
 */
export async function loadLogSigner(
  config: Pick<Config, 'TRAILKEEP_LOG_NAME' | 'TRAILKEEP_LOG_KEY'>,
  settings: SettingStore,
): Promise<Signer> {
  const name = config.TRAILKEEP_LOG_NAME;
  // Read first: a key is generated only on the very first start, not on every one (the CLI's
  // local commands compose the services too).
  const text =
    config.TRAILKEEP_LOG_KEY ??
    (await settings.get(settingKey(name))) ??
    (await settings.putIfAbsent(settingKey(name), generateSigner(name).secret));
  const signer = parseSigner(text);
  const from = config.TRAILKEEP_LOG_KEY ? 'TRAILKEEP_LOG_KEY' : `the stored key ${settingKey(name)}`;
  if (!signer)
    throw new Error(`${from} is not a signed-note Ed25519 signer key (PRIVATE+KEY+<name>+<id>+<key>).`);
  if (signer.name !== name) {
    throw new Error(
      `${from} is named ${signer.name}, but the log is named ${name} (TRAILKEEP_LOG_NAME): they must match.`,
    );
  }
  return signer;
}
