import { beforeEach, describe, expect, it } from "vitest";
import { newOidcState, oidcReturn, takeOidcState } from "./oidcReturn";

const TOKENS =
  "access_token=a.b.c&refresh_token=r1&token_type=Bearer&expires_in=900&user_id=42&username=wendy";

describe("oidcReturn", () => {
  beforeEach(() => window.sessionStorage.clear());

  it("reads the token pair of the sign-in this page started", () => {
    const state = newOidcState();
    const got = oidcReturn(`#${TOKENS}&state=${state}`, takeOidcState());
    expect(got).toEqual({
      auth: {
        user: { id: "42", username: "wendy" },
        access_token: "a.b.c",
        refresh_token: "r1",
        token_type: "Bearer",
        expires_in: 900,
      },
    });
  });

  it("discards tokens without the page's state: none, another, or no sign-in started", () => {
    const state = newOidcState();
    expect(oidcReturn(`#${TOKENS}`, state)).toEqual({ discarded: true });
    expect(oidcReturn(`#${TOKENS}&state=forged`, state)).toEqual({ discarded: true });
    expect(oidcReturn(`#${TOKENS}&state=${state}`, null)).toEqual({ discarded: true });
    expect(oidcReturn(`#${TOKENS}&state=`, "")).toEqual({ discarded: true });
    expect(oidcReturn("#access_token=only-half&state=s", "s")).toEqual({ discarded: true });
  });

  it("reads a failed sign-in's error, described if it can be, only with the page's state", () => {
    expect(
      oidcReturn("#error=oidc_denied&error_description=The+provider+refused&state=s1", "s1"),
    ).toEqual({ error: "The provider refused" });
    expect(oidcReturn("#error=email_not_verified&state=s1", "s1")).toEqual({
      error: "email_not_verified",
    });
    expect(oidcReturn("#error=x&error_description=Call+this+number", null)).toEqual({
      discarded: true,
    });
  });

  it("ignores any other fragment", () => {
    expect(oidcReturn("", "s")).toBeNull();
    expect(oidcReturn("#channel=7", "s")).toBeNull();
  });
});

describe("the sign-in state", () => {
  beforeEach(() => window.sessionStorage.clear());

  it("is random, kept for this tab, and used once", () => {
    const first = newOidcState();
    const second = newOidcState();
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).not.toEqual(first);
    expect(takeOidcState()).toBe(second);
    expect(takeOidcState()).toBeNull();
    expect(window.localStorage.length).toBe(0);
  });
});
