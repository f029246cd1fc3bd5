import { describe, expect, it } from "vitest";
import type { Channel, Guild, Message } from "../api/types";
import { gatewayEvent, guildLoaded, sessionStarted } from "./actions";
import { byLastActivity, dmLeft, dmName, dmOpened, dmsLoaded } from "./channels";
import { selectDmUnread, selectDmUnreadTotal } from "./dms";
import { guildSelected } from "./guilds";
import { makeStore } from "./index";
import { selectPermissions } from "./permissions";
import { channelRead } from "./readState";
import { Permission, has } from "../util/permissions";

const ME = "100";
const BOB = { id: "200", username: "bob" };
const CAROL = { id: "300", username: "carol" };

const dm: Channel = { id: "50", type: 1, recipients: [BOB], last_message_id: null };
const group: Channel = {
  id: "60",
  type: 3,
  name: null,
  owner_id: ME,
  recipients: [BOB, CAROL],
  last_message_id: null,
};

function message(id: string, channel: string, author = BOB): Message {
  return {
    id,
    channel_id: channel,
    author,
    content: `m${id}`,
    timestamp: "2026-12-08T00:00:00Z",
    edited_timestamp: null,
    reactions: [],
  };
}

function signedIn() {
  const store = makeStore();
  store.dispatch(sessionStarted({ user: { id: ME, username: "me" } }));
  return store;
}

function event(store: ReturnType<typeof makeStore>, t: string, d: unknown) {
  store.dispatch(gatewayEvent({ t, d, me: ME }));
}

describe("DMs in the store", () => {
  it("keeps DMs and group DMs apart from guild channels", () => {
    const store = signedIn();
    store.dispatch(dmsLoaded([dm]));
    event(store, "CHANNEL_CREATE", group);
    event(store, "CHANNEL_CREATE", { id: "70", type: 0, guild_id: "1", name: "general" });
    const { byId, dms } = store.getState().channels;
    expect(Object.keys(dms).sort()).toEqual(["50", "60"]);
    expect(Object.keys(byId)).toEqual(["70"]);
  });

  it("gives a DM the default member's rights, with no guild", () => {
    const store = signedIn();
    store.dispatch(dmsLoaded([dm]));
    const permissions = selectPermissions(store.getState(), null, dm.id);
    expect(has(permissions, Permission.SEND_MESSAGES)).toBe(true);
    expect(has(permissions, Permission.MANAGE_MESSAGES)).toBe(false);
  });

  it("counts a DM's unread messages from others until it is read", () => {
    const store = signedIn();
    store.dispatch(dmsLoaded([dm, group]));
    event(store, "MESSAGE_CREATE", message("81", dm.id));
    event(store, "MESSAGE_CREATE", message("82", dm.id));
    event(store, "MESSAGE_CREATE", message("83", group.id, { id: ME, username: "me" }));
    expect(selectDmUnread(store.getState())).toEqual({ "50": 2 });
    expect(selectDmUnreadTotal(store.getState())).toBe(2);
    store.dispatch(channelRead({ channelId: dm.id, messageId: "82" }));
    expect(selectDmUnreadTotal(store.getState())).toBe(0);
  });

  it("shows a DM unread from READY's marks before any message is loaded", () => {
    const store = signedIn();
    event(store, "READY", {
      read_state: [{ id: "50", channel_id: "50", last_message_id: "40", mention_count: 0 }],
    });
    store.dispatch(dmsLoaded([{ ...dm, last_message_id: "45" }]));
    expect(selectDmUnread(store.getState())).toEqual({ "50": 1 });
  });

  it("follows a group's members, renames and leaves", () => {
    const store = signedIn();
    store.dispatch(dmOpened(group));
    const dave = { id: "400", username: "dave" };
    event(store, "CHANNEL_RECIPIENT_ADD", { channel_id: group.id, user: dave });
    event(store, "CHANNEL_RECIPIENT_REMOVE", { channel_id: group.id, user: BOB });
    expect(store.getState().channels.dms["60"].recipients?.map((u) => u.id)).toEqual([
      "300",
      "400",
    ]);
    event(store, "CHANNEL_UPDATE", { ...group, name: "Road trip" });
    expect(dmName(store.getState().channels.dms["60"], (u) => u.username)).toBe("Road trip");
    expect(store.getState().channels.dmSelected).toBe("60");
    event(store, "CHANNEL_DELETE", group);
    expect(store.getState().channels.dms["60"]).toBeUndefined();
    expect(store.getState().channels.dmSelected).toBeNull();
    store.dispatch(dmOpened(dm));
    store.dispatch(dmLeft(dm.id));
    expect(store.getState().channels.dms).toEqual({});
  });

  it("names a DM by the other user, a group by its name or its members", () => {
    const name = (u: { username: string }) => u.username;
    expect(dmName(dm, name)).toBe("bob");
    expect(dmName(group, name)).toBe("bob, carol");
    expect(dmName({ ...group, name: "Plans" }, name)).toBe("Plans");
  });

  it("sorts by last activity, a DM without messages by when it opened", () => {
    const older = { ...dm, id: "10", last_message_id: "90" };
    const newer = { ...group, id: "20", last_message_id: null };
    const latest = { ...dm, id: "30", last_message_id: "95" };
    expect([newer, older, latest].sort(byLastActivity).map((c) => c.id)).toEqual([
      "30",
      "10",
      "20",
    ]);
  });

  it("stays in Home once the user opened it, as guilds load", () => {
    const store = signedIn();
    store.dispatch(guildSelected(null));
    const guild: Guild = { id: "1", name: "Club", owner_id: ME, channels: [] };
    store.dispatch(guildLoaded(guild));
    event(store, "GUILD_CREATE", guild);
    expect(store.getState().guilds.selected).toBeNull();
  });
});
