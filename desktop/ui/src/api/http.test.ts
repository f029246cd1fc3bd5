import { describe, expect, it } from "vitest";
import { ApiClient, ApiError, errorText, type Tokens } from "./http";

function json(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

const fresh: Tokens = { accessToken: "old", refreshToken: "r1", expiresAt: Date.now() + 600_000 };

describe("ApiClient", () => {
  it("refreshes once for concurrent 401s, then retries each with the new token", async () => {
    const calls: string[] = [];
    const api = new ApiClient("http://srv/api/v1", async (input, init) => {
      const url = String(input);
      const auth = new Headers(init?.headers).get("Authorization");
      calls.push(`${init?.method} ${url.replace("http://srv/api/v1", "")} ${auth ?? ""}`);
      if (url.endsWith("/auth/refresh")) {
        await new Promise((r) => setTimeout(r, 5));
        return json(200, {
          user: { id: "1", username: "a" },
          access_token: "new",
          refresh_token: "r2",
          token_type: "Bearer",
          expires_in: 900,
        });
      }
      return auth === "Bearer new" ? json(200, { ok: url }) : json(401, { code: "unauthorized" });
    });
    const seen: (Tokens | null)[] = [];
    api.onTokens = (t) => seen.push(t);
    api.setTokens(fresh);
    const [a, b] = await Promise.all([
      api.request<{ ok: string }>("GET", "/users/@me"),
      api.request<{ ok: string }>("GET", "/users/@me/guilds"),
    ]);
    expect(a.ok).toContain("/users/@me");
    expect(b.ok).toContain("/users/@me/guilds");
    expect(calls.filter((c) => c.includes("/auth/refresh"))).toHaveLength(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.refreshToken).toBe("r2");
  });

  it("ends the session when the refresh is refused", async () => {
    const api = new ApiClient("http://srv/api/v1", async (input) =>
      String(input).endsWith("/auth/refresh")
        ? json(401, { code: "invalid_token", message: "Refresh token revoked." })
        : json(401, { code: "unauthorized", message: "Expired." }),
    );
    const seen: (Tokens | null)[] = [];
    api.onTokens = (t) => seen.push(t);
    api.setTokens(fresh);
    await expect(api.request("GET", "/users/@me")).rejects.toMatchObject({ status: 401 });
    expect(seen).toEqual([null]);
    expect(api.hasSession).toBe(false);
  });

  it("turns failures into words: the server's message, field errors, unreachable server", async () => {
    const api = new ApiClient("http://srv/api/v1", async (input) => {
      if (String(input).endsWith("/down")) throw new TypeError("Failed to fetch");
      return json(400, {
        code: "invalid",
        message: "The request is invalid.",
        errors: { username: ["is taken"] },
      });
    });
    const invalid = await api.request("POST", "/auth/register", { body: {} }).catch((e) => e);
    expect(invalid).toBeInstanceOf(ApiError);
    expect(errorText(invalid)).toBe("The request is invalid. (username: is taken)");
    const down = await api.request("GET", "/down", { auth: false }).catch((e) => e);
    expect(errorText(down)).toBe("The server cannot be reached. Check the connection settings.");
  });

  it("reads Retry-After on 429 and answers 204 with nothing", async () => {
    const api = new ApiClient("http://srv/api/v1", async (_input, init) =>
      init?.method === "DELETE"
        ? new Response(null, { status: 204 })
        : new Response(JSON.stringify({ code: "rate_limited", message: "Slow down." }), {
            status: 429,
            headers: { "Retry-After": "2.5" },
          }),
    );
    const limited = await api.request("GET", "/x", { auth: false }).catch((e) => e);
    expect(limited).toMatchObject({ status: 429, code: "rate_limited", retryAfter: 2.5 });
    await expect(api.request("DELETE", "/x", { auth: false })).resolves.toBeUndefined();
  });
});
