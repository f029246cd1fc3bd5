import { beforeEach, describe, expect, it } from "vitest";
import { resolveServerConfig } from "./config";

function at(url: string): Location {
  return new URL(url) as unknown as Location;
}

describe("which server a page talks to", () => {
  beforeEach(() => window.localStorage.clear());

  it("is the page's own origin", () => {
    expect(resolveServerConfig(at("http://parley.test:3000/"), null)).toEqual({
      config: { server: "http://parley.test:3000", gateway: null },
      refused: null,
    });
  });

  it("refuses a link's other server or gateway, says so, and remembers nothing", () => {
    const got = resolveServerConfig(
      at("http://parley.test:3000/?server=http%3A%2F%2Fevil.test&gateway=ws%3A%2F%2Fevil.test%2F"),
      null,
    );
    expect(got.config).toEqual({ server: "http://parley.test:3000", gateway: null });
    expect(got.refused).toContain("http://evil.test");
    expect(got.refused).toContain("was ignored");
    expect(window.localStorage.length).toBe(0);
    expect(
      resolveServerConfig(at("http://parley.test:3000/?gateway=ws://evil.test/"), null).refused,
    ).toContain("ws://evil.test/");
  });

  it("takes its own origin named in ?server= without a word", () => {
    const got = resolveServerConfig(
      at("http://parley.test:3000/?server=http://parley.test:3000/"),
      null,
    );
    expect(got).toEqual({
      config: { server: "http://parley.test:3000", gateway: null },
      refused: null,
    });
  });

  it("forgets what older versions remembered from a link", () => {
    window.localStorage.setItem("parley.server", "http://evil.test");
    window.localStorage.setItem("parley.gateway", "ws://evil.test/");
    const got = resolveServerConfig(at("http://parley.test:3000/"), null);
    expect(got.config.server).toBe("http://parley.test:3000");
    expect(window.localStorage.getItem("parley.server")).toBeNull();
    expect(window.localStorage.getItem("parley.gateway")).toBeNull();
  });

  it("in the desktop shell, is the server the shell hands over", () => {
    const shell = { server: "http://chosen.test:3000", gateway: "ws://chosen.test:3001/" };
    expect(
      resolveServerConfig(at("http://127.0.0.1:5555/?server=http://evil.test"), shell),
    ).toEqual({
      config: shell,
      refused: null,
    });
  });
});
