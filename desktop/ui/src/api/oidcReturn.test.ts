import { describe, expect, it } from "vitest";
import { oidcReturn } from "./oidcReturn";

describe("oidcReturn", () => {
  it("reads the token pair a sign-in left", () => {
    const got = oidcReturn(
      "#access_token=a.b.c&refresh_token=r1&token_type=Bearer&expires_in=900&user_id=42&username=wendy",
    );
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

  it("reads a failed sign-in's error, described if it can be", () => {
    expect(
      oidcReturn("#error=oidc_denied&error_description=The+provider+refused+the+sign-in"),
    ).toEqual({ error: "The provider refused the sign-in" });
    expect(oidcReturn("#error=email_not_verified")).toEqual({ error: "email_not_verified" });
  });

  it("ignores any other fragment", () => {
    expect(oidcReturn("")).toBeNull();
    expect(oidcReturn("#channel=7")).toBeNull();
    expect(oidcReturn("#access_token=only-half")).toBeNull();
  });
});
