export type CredentialKind = 'key' | 'oauth_client';

/** An API key or OAuth client as it is shown: never its secret, of which only a hash is kept. */
export interface Credential {
  id: string;
  /** null for operator-level credentials. */
  tenant: string | null;
  kind: CredentialKind;
  name: string;
  scopes: string[];
  created_at: string;
  revoked_at: string | null;
}
