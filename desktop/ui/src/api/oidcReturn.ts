import type { AuthResponse } from "./types";

/**
 * What an OIDC callback left in the URL fragment: the token pair (`#access_token=…`), a failed
 * sign-in (`#error=…&error_description=…`), or nothing of the kind.
 */
export type OidcReturn = { auth: AuthResponse } | { error: string } | null;

export function oidcReturn(hash: string): OidcReturn {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const error = params.get("error");
  if (error) return { error: params.get("error_description") || error };
  const access = params.get("access_token");
  const refresh = params.get("refresh_token");
  if (!access || !refresh) return null;
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
