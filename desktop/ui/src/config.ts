// Where the server is. Same origin by default (the emulator serves the built UI at `/` and the
// API under `/api/v1`); `?server=` and `?gateway=` (remembered in localStorage) or the
// connection settings screen point the client anywhere, which is how the desktop shell and the
// end-to-end tests use it.

const SERVER_KEY = "parley.server";
const GATEWAY_KEY = "parley.gateway";

export interface ServerConfig {
  /** Origin of the HTTP API, e.g. `http://127.0.0.1:3000` (no trailing slash). */
  server: string;
  /** Explicit gateway URL, or null to discover it (`GET /api/v1/gateway`, then derive). */
  gateway: string | null;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** Read `?server=`/`?gateway=` once at start-up, remember them, and answer the current config. */
export function loadServerConfig(location: Location = window.location): ServerConfig {
  const params = new URLSearchParams(location.search);
  const store = storage();
  const server = params.get("server");
  const gateway = params.get("gateway");
  if (server !== null) store?.setItem(SERVER_KEY, trimSlash(server));
  if (gateway !== null) store?.setItem(GATEWAY_KEY, gateway);
  const origin = location.origin.startsWith("http") ? location.origin : "http://127.0.0.1:3000";
  return {
    server: trimSlash(store?.getItem(SERVER_KEY) || origin),
    gateway: store?.getItem(GATEWAY_KEY) || null,
  };
}

export function saveServerConfig(config: ServerConfig): void {
  const store = storage();
  store?.setItem(SERVER_KEY, trimSlash(config.server));
  if (config.gateway) store?.setItem(GATEWAY_KEY, config.gateway);
  else store?.removeItem(GATEWAY_KEY);
}

export function apiBase(config: ServerConfig): string {
  return `${config.server}/api/v1`;
}

/**
 * The gateway URL when the server does not say: same host, the HTTP port + 1 (the emulator's
 * layout, 3000 → 3001). Under `vite dev` the page's own port is Vite's, so use 3001.
 */
export function deriveGatewayUrl(server: string, dev = false): string {
  const url = new URL(server);
  const scheme = url.protocol === "https:" ? "wss:" : "ws:";
  const port = dev ? 3001 : url.port ? Number(url.port) + 1 : null;
  return `${scheme}//${url.hostname}${port ? `:${port}` : ""}/`;
}
