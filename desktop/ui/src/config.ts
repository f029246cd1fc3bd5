// Where the server is. A page talks to the origin it came from (the emulator serves the built
// UI at `/` and the API under `/api/v1`). Only the desktop shell may point it at another server,
// one the user confirmed in the shell's connection dialog (docs/client.md, "Which server"):
// a link's `?server=` or `?gateway=` naming anything else is refused, never remembered, so a link
// cannot make the page send its tokens elsewhere.

/** What older versions remembered from `?server=` / `?gateway=`: removed at start-up, since a
 * link may have planted them. */
const LEGACY_KEYS = ["parley.server", "parley.gateway"];

export interface ServerConfig {
  /** Origin of the HTTP API, e.g. `http://127.0.0.1:3000` (no trailing slash). */
  server: string;
  /** Explicit gateway URL, or null to discover it (`GET /api/v1/gateway`, then derive). */
  gateway: string | null;
}

export interface ResolvedConfig {
  config: ServerConfig;
  /** What the page refused from its address, in words for the user; null when nothing. */
  refused: string | null;
}

/** The origin of an http(s) URL; null for anything else. */
export function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.origin : null;
  } catch {
    return null;
  }
}

function pageOrigin(location: Location): string {
  return originOf(location.origin) ?? "http://127.0.0.1:3000";
}

function forgetLegacyKeys(): void {
  try {
    for (const key of LEGACY_KEYS) window.localStorage.removeItem(key);
  } catch {
    // Storage disabled: nothing was remembered either.
  }
}

/**
 * The server this page talks to: the one the desktop shell hands over (`shell`, confirmed by
 * the user there), else the page's own origin. `?server=` naming another origin and any
 * `?gateway=` are refused (and said so), never stored.
 */
export function resolveServerConfig(
  location: Location,
  shell: ServerConfig | null,
): ResolvedConfig {
  forgetLegacyKeys();
  if (shell) return { config: shell, refused: null };
  const own = pageOrigin(location);
  const params = new URLSearchParams(location.search);
  const asked = params.get("server");
  const askedGateway = params.get("gateway");
  const foreign = asked !== null && originOf(asked) !== own ? asked : null;
  const refused =
    foreign !== null || askedGateway !== null
      ? `The link's server (${foreign ?? askedGateway}) was ignored: this page talks only to ${own}.`
      : null;
  return { config: { server: own, gateway: null }, refused };
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
