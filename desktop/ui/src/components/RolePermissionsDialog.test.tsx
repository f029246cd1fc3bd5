import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Role } from "../api/types";
import type { ParleyClient } from "../services/client";
import { ClientContext } from "../services/context";
import { Permission, describePermissions } from "../util/permissions";
import RolePermissionsDialog from "./RolePermissionsDialog";

afterEach(cleanup);

function ticked(label: string): boolean {
  return (screen.getByRole("checkbox", { name: label }) as HTMLInputElement).checked;
}

const UNLISTED = 1n << 39n; // a bit the editor does not show: kept as it was

function shown(
  role: Role,
  updateRole = vi.fn(async (_g: string, _r: string, body: Partial<Role>) => ({ ...role, ...body })),
) {
  const client = { ep: { updateRole } } as unknown as ParleyClient;
  const onSaved = vi.fn();
  const onClose = vi.fn();
  render(
    <ClientContext.Provider value={client}>
      <RolePermissionsDialog guildId="1" role={role} onSaved={onSaved} onClose={onClose} />
    </ClientContext.Provider>,
  );
  return { updateRole, onSaved, onClose };
}

describe("RolePermissionsDialog", () => {
  it("ticks what the role has and saves the whole bitfield with the change", async () => {
    const start = Permission.SEND_MESSAGES | UNLISTED;
    const role = { id: "7", name: "mods", permissions: start.toString() };
    const { updateRole, onSaved, onClose } = shown(role);
    expect(ticked("Send messages")).toBe(true);
    expect(ticked("Kick members")).toBe(false);
    const save = screen.getByRole("button", { name: "Save" });
    expect((save as HTMLButtonElement).disabled).toBe(true); // nothing changed yet
    await userEvent.click(screen.getByRole("checkbox", { name: "Kick members" }));
    await userEvent.click(screen.getByRole("checkbox", { name: "Send messages" }));
    await userEvent.click(save);
    const expected = (Permission.KICK_MEMBERS | UNLISTED).toString();
    expect(updateRole).toHaveBeenCalledWith("1", "7", { permissions: expected });
    expect(onSaved).toHaveBeenCalledWith({ ...role, permissions: expected });
    expect(onClose).toHaveBeenCalled();
  });

  it("says in words why the server refused, and stays open", async () => {
    const refused = vi.fn(async () => {
      throw new Error("You cannot grant permissions you do not have.");
    });
    const { onClose } = shown({ id: "7", name: "mods", permissions: "0" }, refused);
    await userEvent.click(
      screen.getByRole("checkbox", { name: "Administrator (every permission)" }),
    );
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByRole("alert")).textContent).toContain("You cannot grant");
    expect(onClose).not.toHaveBeenCalled();
  });
});

describe("describePermissions", () => {
  it("names an administrator, and counts the rest", () => {
    expect(describePermissions(Permission.ADMINISTRATOR | Permission.KICK_MEMBERS)).toBe(
      "Administrator",
    );
    expect(describePermissions(Permission.KICK_MEMBERS)).toBe("1 permission");
    expect(describePermissions(Permission.KICK_MEMBERS | Permission.BAN_MEMBERS)).toBe(
      "2 permissions",
    );
    expect(describePermissions(0n)).toBe("0 permissions");
  });
});
