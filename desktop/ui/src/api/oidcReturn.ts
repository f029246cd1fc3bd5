import type { AuthResponse } from "./types";

// A provider sign-in is a round trip the page starts: it makes a random state, keeps it in
// sessionStorage (this tab only), names it to `GET /auth/oidc/{provider}/start?state=…`, and the
// server carries it back in the fragment. Tokens (or an error) in a fragment whose state is not
// the one this page is waiting for were planted (login CSRF): they are discarded.

const STATE_KEY = "parley.oidc.state";

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** A fresh state for a sign-in this page is about to start, remembered for its return. */
export function newOidcState(storage: Storage = window.sessionStorage): string {
  const state = base64url(crypto.getRandomValues(new Uint8Array(32)));
  storage.setItem(STATE_KEY, state);
  return state;
}

/** The state of the sign-in this page started, if any; used once (forgotten as it is read). */
export function takeOidcState(storage: Storage = window.sessionStorage): string | null {
  const state = storage.getItem(STATE_KEY);
  storage.removeItem(STATE_KEY);
  return state;
}

/**
 * What an OIDC callback left in the URL fragment: the token pair (`#access_token=…`), a failed
 * sign-in (`#error=…&error_description=…`), either of them without the state this page is
 * waiting for (`discarded`), or nothing of the kind (null).
 */
export type OidcReturn = { auth: AuthResponse } | { error: string } | { discarded: true } | null;

export function oidcReturn(hash: string, expectedState: string | null): OidcReturn {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const error = params.get("error");
  const access = params.get("access_token");
  const refresh = params.get("refresh_token");
  if (!error && !access && !refresh) return null;
  if (!expectedState || params.get("state") !== expectedState) return { discarded: true };
  if (error) return { error: params.get("error_description") || error };
  if (!access || !refresh) return { discarded: true };
  return {
    auth: {
      user: { id: params.get("user_id") ?? "", username: params.get("username") ?? "" },
      access_token: access,
      refresh_token: refresh,
      token_type: "Bearer",
      expires_in: Number(params.get("expires_in") ?? 900),
    },
  };
}
