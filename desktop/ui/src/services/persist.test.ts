import { beforeEach, describe, expect, it } from "vitest";
import { loadSession, saveSession, sessionKey } from "./persist";

const USER = { id: "42", username: "wendy" };
const A = "http://parley-a.test:3000";
const B = "http://parley-b.test:3000";

function tokens(name: string) {
  return { accessToken: `access-${name}`, refreshToken: `refresh-${name}`, expiresAt: 1 };
}

describe("the session store, per server", () => {
  beforeEach(() => {
    window.localStorage.clear();
    delete window.pywebview;
  });

  it("gives each server back its own tokens, and never another's", async () => {
    saveSession(A, { user: USER, tokens: tokens("a") });
    expect((await loadSession(A))?.tokens.refreshToken).toBe("refresh-a");
    expect(await loadSession(B)).toBeNull();
    saveSession(B, { user: USER, tokens: tokens("b") });
    expect((await loadSession(A))?.tokens.refreshToken).toBe("refresh-a");
    expect((await loadSession(B))?.tokens.refreshToken).toBe("refresh-b");
  });

  it("keys by origin: a path or trailing slash is the same server, another port is not", async () => {
    saveSession(`${A}/`, { user: USER, tokens: tokens("a") });
    expect((await loadSession(A))?.server).toBe(A);
    expect(await loadSession("http://parley-a.test:3001")).toBeNull();
  });

  it("forgets one server's session only", async () => {
    saveSession(A, { user: USER, tokens: tokens("a") });
    saveSession(B, { user: USER, tokens: tokens("b") });
    saveSession(A, null);
    expect(await loadSession(A)).toBeNull();
    expect((await loadSession(B))?.tokens.refreshToken).toBe("refresh-b");
  });

  it("refuses a session stored under one server's key but issued by another", async () => {
    const planted = { server: B, user: USER, tokens: tokens("b") };
    window.localStorage.setItem(sessionKey(A), JSON.stringify(planted));
    expect(await loadSession(A)).toBeNull();
  });

  it("drops the old single session, whose server cannot be known", async () => {
    window.localStorage.setItem(
      "parley.session",
      JSON.stringify({ user: USER, tokens: tokens("x") }),
    );
    expect(await loadSession(A)).toBeNull();
    expect(window.localStorage.getItem("parley.session")).toBeNull();
  });

  it("in the desktop shell, takes the shell's copy only if it is this server's", async () => {
    let kept: string | null = JSON.stringify({ server: B, user: USER, tokens: tokens("b") });
    window.pywebview = {
      api: {
        load_session: async () => kept,
        save_session: async (json: string | null) => {
          kept = json;
        },
      },
    };
    expect(await loadSession(A)).toBeNull();
    saveSession(A, { user: USER, tokens: tokens("a") });
    window.localStorage.clear(); // a cleared web profile: the shell's file still has it
    expect((await loadSession(A))?.tokens.refreshToken).toBe("refresh-a");
    expect(JSON.parse(kept ?? "{}").server).toBe(A);
  });
});
