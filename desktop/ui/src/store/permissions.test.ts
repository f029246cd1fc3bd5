import { describe, expect, it } from "vitest";
import type { Guild } from "../api/types";
import { ALL, Permission, has } from "../util/permissions";
import { gatewayEvent, guildLoaded, sessionStarted } from "./actions";
import { makeStore } from "./index";
import { DM_PERMISSIONS, selectPermissions, selectViewableChannelIds } from "./permissions";

const ME = "100";
const OWNER = "300";
const EVERYONE = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES | Permission.ADD_REACTIONS;

function guild(myRoles: string[]): Guild {
  return {
    id: "1",
    name: "Home",
    owner_id: OWNER,
    roles: [
      { id: "1", name: "@everyone", permissions: String(EVERYONE) },
      { id: "7", name: "mods", permissions: String(Permission.MANAGE_MESSAGES) },
    ],
    channels: [
      { id: "10", type: 0, guild_id: "1", name: "general" },
      {
        id: "11",
        type: 0,
        guild_id: "1",
        name: "announcements",
        permission_overwrites: [
          { id: "1", type: 0, allow: "0", deny: String(Permission.SEND_MESSAGES) },
        ],
      },
    ],
    members: [{ user: { id: ME, username: "me" }, roles: myRoles }],
  };
}

function signedIn() {
  const store = makeStore();
  store.dispatch(sessionStarted({ user: { id: ME, username: "me" } }));
  return store;
}

describe("selectPermissions", () => {
  it("reads roles, the member and the channel's overwrites from the store", () => {
    const store = signedIn();
    store.dispatch(guildLoaded(guild([])));
    const state = store.getState();
    expect(selectPermissions(state, "1")).toBe(EVERYONE);
    expect(has(selectPermissions(state, "1", "10"), Permission.SEND_MESSAGES)).toBe(true);
    expect(has(selectPermissions(state, "1", "11"), Permission.SEND_MESSAGES)).toBe(false);
    expect(has(selectPermissions(state, "1", "11"), Permission.VIEW_CHANNEL)).toBe(true);
  });

  it("follows a role given by a gateway event", () => {
    const store = signedIn();
    store.dispatch(guildLoaded(guild([])));
    expect(has(selectPermissions(store.getState(), "1", "10"), Permission.MANAGE_MESSAGES)).toBe(
      false,
    );
    store.dispatch(
      gatewayEvent({
        t: "GUILD_MEMBER_UPDATE",
        d: { guild_id: "1", user: { id: ME, username: "me" }, roles: ["7"] },
      }),
    );
    expect(has(selectPermissions(store.getState(), "1", "10"), Permission.MANAGE_MESSAGES)).toBe(
      true,
    );
  });

  it("gives the owner everything", () => {
    const store = makeStore();
    store.dispatch(sessionStarted({ user: { id: OWNER, username: "owner" } }));
    store.dispatch(guildLoaded(guild([])));
    expect(selectPermissions(store.getState(), "1", "11")).toBe(ALL);
  });

  it("knows nothing of a guild not loaded yet, and lets both people of a DM talk", () => {
    const store = signedIn();
    expect(selectPermissions(store.getState(), "1")).toBe(0n);
    store.dispatch(gatewayEvent({ t: "CHANNEL_CREATE", d: { id: "50", type: 1, guild_id: null } }));
    expect(selectPermissions(store.getState(), null, "50")).toBe(DM_PERMISSIONS);
    expect(has(DM_PERMISSIONS, Permission.MANAGE_MESSAGES)).toBe(false);
  });

  it("lists the channels the user may see, and follows a role taken away", () => {
    const store = signedIn();
    const home = guild(["7"]);
    home.channels?.push({
      id: "12",
      type: 0,
      guild_id: "1",
      name: "mods-only",
      permission_overwrites: [
        { id: "1", type: 0, allow: "0", deny: String(Permission.VIEW_CHANNEL) },
        { id: "7", type: 0, allow: String(Permission.VIEW_CHANNEL), deny: "0" },
      ],
    });
    store.dispatch(guildLoaded(home));
    expect(selectViewableChannelIds(store.getState(), "1").sort()).toEqual(["10", "11", "12"]);
    store.dispatch(
      gatewayEvent({
        t: "GUILD_MEMBER_UPDATE",
        d: { guild_id: "1", user: { id: ME, username: "me" }, roles: [] },
      }),
    );
    expect(selectViewableChannelIds(store.getState(), "1").sort()).toEqual(["10", "11"]);
  });
});
