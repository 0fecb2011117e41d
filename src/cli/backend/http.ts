import { CliError } from '../context.js';

/** An error answered by the server, from its `{"error":{"code","message","details"},"request_id"}` envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  query?: URLSearchParams;
  json?: unknown;
  body?: string;
  contentType?: string;
}

/** A small fetch wrapper: bearer auth, JSON in and out, the native error envelope turned into ApiError. */
export class HttpClient {
  readonly base: URL;

  /** `own` headers, like the credential, go only to the configured server. */
  constructor(
    url: string,
    private readonly token: string | undefined,
    private readonly own: Record<string, string> = {},
  ) {
    this.base = new URL(url.endsWith('/') ? url : `${url}/`);
  }

  /** Resolves an API path (or a link the server returned) against the server URL. */
  resolve(path: string): URL {
    return new URL(path.replace(/^\//, ''), this.base);
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = this.resolve(path);
    if (options.query) url.search = options.query.toString();
    const headers: Record<string, string> = { accept: 'application/json' };
    // The credential goes only to the configured server, never to another origin it links to.
    if (url.origin === this.base.origin) {
      Object.assign(headers, this.own);
      if (this.token) headers.authorization = `Bearer ${this.token}`;
    }
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (options.body !== undefined) {
      body = options.body;
      headers['content-type'] = options.contentType ?? 'text/plain';
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`Cannot reach ${this.base.origin}: ${cause?.code ?? cause?.message ?? String(err)}`);
    }
    if (!res.ok) throw await apiErrorOf(res);
    return res;
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, options);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }
}

async function apiErrorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  const requestId = res.headers.get('x-request-id') ?? undefined;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error && typeof body.error.message === 'string') {
      return new ApiError(
        res.status,
        body.error.code ?? 'error',
        body.error.message,
        body.error.details,
        requestId,
      );
    }
  } catch {
    // Not our envelope (a proxy's page, say): report the status below.
  }
  const snippet = text.trim().slice(0, 200);
  return new ApiError(
    res.status,
    'http_error',
    `The server answered HTTP ${res.status} ${res.statusText}${snippet ? `: ${snippet}` : ''}`,
    undefined,
    requestId,
  );
}
