// The REST client: bearer tokens, one refresh on 401 (refresh tokens rotate, so concurrent
// 401s share a single refresh), and every failure as an ApiError carrying words for the user.

import type { ApiErrorBody, AuthResponse } from "./types";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors?: Record<string, unknown>;
  readonly retryAfter?: number;

  constructor(status: number, body: Partial<ApiErrorBody>, retryAfter?: number) {
    super(body.message || describeStatus(status));
    this.name = "ApiError";
    this.status = status;
    this.code = body.code || `http_${status}`;
    this.errors = body.errors;
    this.retryAfter = retryAfter;
  }
}

export function describeStatus(status: number): string {
  if (status === 0) return "The server cannot be reached. Check the connection settings.";
  if (status === 401) return "Your session has expired. Please sign in again.";
  if (status === 403) return "You do not have permission to do that.";
  if (status === 404) return "That no longer exists, or the server does not offer it.";
  if (status === 413) return "That is too large.";
  if (status === 429) return "You are doing that too fast. Try again in a moment.";
  if (status >= 500) return `The server failed (${status}). Try again later.`;
  return `The request failed (${status}).`;
}

/** Words for any error: the server's message when there is one. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.errors ? Object.entries(error.errors) : [];
    if (fields.length > 0) {
      const details = fields.map(([k, v]) => `${k}: ${fieldText(v)}`).join("; ");
      return `${error.message} (${details})`;
    }
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

function fieldText(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(fieldText).join(", ");
  if (value && typeof value === "object" && "message" in value)
    return String((value as { message: unknown }).message);
  return JSON.stringify(value);
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms after which the access token is stale. */
  expiresAt: number;
}

export function tokensFrom(auth: AuthResponse, now = Date.now()): Tokens {
  return {
    accessToken: auth.access_token,
    refreshToken: auth.refresh_token,
    expiresAt: now + auth.expires_in * 1000,
  };
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the bearer token (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

type Fetch = typeof fetch;

export class ApiClient {
  base: string;
  private tokens: Tokens | null = null;
  private refreshing: Promise<Tokens> | null = null;
  private readonly fetchImpl: Fetch;
  /** Told about every new pair of tokens (null when the session ended). */
  onTokens: (tokens: Tokens | null, auth?: AuthResponse) => void = () => {};

  constructor(base: string, fetchImpl?: Fetch) {
    this.base = base;
    this.fetchImpl = fetchImpl ?? ((input, init) => fetch(input, init));
  }

  setTokens(tokens: Tokens | null): void {
    this.tokens = tokens;
  }

  get refreshToken(): string | null {
    return this.tokens?.refreshToken ?? null;
  }

  get hasSession(): boolean {
    return this.tokens !== null;
  }

  /** A fresh access token: refreshed first when it is stale (or when forced). */
  async accessToken(force = false): Promise<string> {
    if (!this.tokens) throw new ApiError(401, { code: "unauthorized" });
    if (force || this.tokens.expiresAt - 10_000 < Date.now()) await this.refresh();
    return this.tokens.accessToken;
  }

  async refresh(): Promise<Tokens> {
    if (!this.refreshing) {
      const refreshToken = this.tokens?.refreshToken;
      this.refreshing = (async () => {
        if (!refreshToken) throw new ApiError(401, { code: "unauthorized" });
        try {
          const auth = await this.request<AuthResponse>("POST", "/auth/refresh", {
            body: { refresh_token: refreshToken },
            auth: false,
          });
          const tokens = tokensFrom(auth);
          this.tokens = tokens;
          this.onTokens(tokens, auth);
          return tokens;
        } catch (error) {
          if (error instanceof ApiError && (error.status === 401 || error.status === 400)) {
            this.tokens = null;
            this.onTokens(null);
          }
          throw error;
        }
      })().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const auth = options.auth ?? true;
    let response = await this.send(method, path, options, auth);
    if (response.status === 401 && auth && this.tokens) {
      await this.refresh();
      response = await this.send(method, path, options, auth);
    }
    if (!response.ok) {
      let body: Partial<ApiErrorBody> = {};
      try {
        body = (await response.json()) as Partial<ApiErrorBody>;
      } catch {
        body = {};
      }
      const retry = response.headers.get("Retry-After");
      throw new ApiError(response.status, body, retry ? Number(retry) : undefined);
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async send(
    method: string,
    path: string,
    options: RequestOptions,
    auth: boolean,
  ): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (auth && this.tokens) headers.Authorization = `Bearer ${await this.accessToken()}`;
    try {
      return await this.fetchImpl(`${this.base}${path}`, {
        method,
        headers,
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
        signal: options.signal,
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      throw new ApiError(0, {});
    }
  }
}

export interface UploadTarget {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** Presigned POST form fields (S3's `generate_presigned_post`); absent for a presigned PUT. */
  fields?: Record<string, string>;
}

/** Send a file to a presigned URL, reporting progress (0..1). XHR because fetch cannot. */
export function uploadFile(
  target: UploadTarget,
  file: Blob,
  onProgress: (fraction: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const method = target.fields ? "POST" : (target.method ?? "PUT");
    xhr.open(method, target.url);
    for (const [name, value] of Object.entries(target.headers ?? {})) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else reject(new ApiError(xhr.status, { message: `The upload failed (${xhr.status}).` }));
    };
    xhr.onerror = () =>
      reject(new ApiError(0, { message: "The upload failed: the storage cannot be reached." }));
    xhr.onabort = () => reject(new ApiError(0, { message: "The upload was cancelled." }));
    signal?.addEventListener("abort", () => xhr.abort());
    if (target.fields) {
      const form = new FormData();
      for (const [name, value] of Object.entries(target.fields)) form.append(name, value);
      form.append("file", file);
      xhr.send(form);
    } else xhr.send(file);
  });
}
