import { describe, expect, it } from "vitest";
import cases from "./permissionCases.json";
import { ALL, Permission, computePermissions, has, type PermissionInput } from "./permissions";

describe("computePermissions", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s (as the server answers)", (_name, c) => {
    expect(computePermissions(c.input as PermissionInput).toString()).toBe(c.expected);
  });

  it("reads a member without roles or a timeout", () => {
    const input: PermissionInput = {
      guildId: "1",
      ownerId: "9",
      userId: "2",
      roles: [{ id: "1", name: "@everyone", permissions: String(Permission.VIEW_CHANNEL) }],
      member: {},
    };
    expect(computePermissions(input)).toBe(Permission.VIEW_CHANNEL);
  });

  it("ignores bits that are not a decimal bitfield", () => {
    const input: PermissionInput = {
      guildId: "1",
      ownerId: "9",
      userId: "2",
      roles: [{ id: "1", name: "@everyone", permissions: "-8" }],
      member: { roles: [] },
    };
    expect(computePermissions(input)).toBe(0n);
  });
});

describe("has", () => {
  it("wants every bit asked for", () => {
    const both = Permission.KICK_MEMBERS | Permission.BAN_MEMBERS;
    expect(has(both, Permission.KICK_MEMBERS)).toBe(true);
    expect(has(Permission.KICK_MEMBERS, both)).toBe(false);
    expect(has(ALL, both)).toBe(true);
  });
});
