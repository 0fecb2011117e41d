export const SCOPES = ['events:write', 'events:read', 'tenant:admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: the operator (admin token) or a tenant credential with its scopes. */
export type Principal =
  | { kind: 'admin' }
  | {
      kind: 'credential';
      tenant: string;
      scopes: readonly string[];
      credentialId: string;
      via: 'key' | 'token';
    };
