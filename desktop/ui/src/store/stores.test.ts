import { describe, expect, it } from "vitest";
import type { Channel, Guild, Message } from "../api/types";
import {
  gatewayEvent,
  guildLoaded,
  messageUpserted,
  sessionEnded,
  sessionStarted,
} from "./actions";
import { channelSelected, groupChannels } from "./channels";
import { makeStore } from "./index";
import { historyLoaded, mentions, ownReaction } from "./messages";
import { encodeMentions } from "../util/text";
import { membersLoaded, usersSeen } from "./members";
import { channelRead, isUnread } from "./readState";
import { typingExpired, typingUsers } from "./typing";
import {
  connectionChanged,
  joinRequested,
  leaveRequested,
  selfDeafSet,
  selfMuteSet,
  speakingChanged,
  voiceMembers,
} from "./voice";

const ME = "100";
const OTHER = "200";

function msg(id: string, extra: Partial<Message> = {}): Message {
  return {
    id,
    channel_id: "10",
    guild_id: "1",
    author: { id: OTHER, username: "bob" },
    content: `message ${id}`,
    timestamp: "2026-11-24T00:00:00Z",
    edited_timestamp: null,
    reactions: [],
    ...extra,
  };
}

const guild: Guild = {
  id: "1",
  name: "Home",
  owner_id: ME,
  channels: [
    { id: "10", type: 0, name: "general", position: 0, parent_id: null },
    { id: "11", type: 2, name: "General", position: 1, parent_id: null },
    { id: "12", type: 4, name: "Topics", position: 0 },
    { id: "13", type: 0, name: "b-chat", position: 1, parent_id: "12" },
    { id: "14", type: 0, name: "a-chat", position: 0, parent_id: "12" },
  ],
  roles: [{ id: "1", name: "@everyone", position: 0 }],
  members: [{ user: { id: ME, username: "me" } }, { user: { id: OTHER, username: "bob" } }],
  presences: [{ user: { id: OTHER }, status: "idle" }],
  voice_states: [{ guild_id: "1", channel_id: "11", user_id: OTHER, self_mute: true }],
};

function signedIn() {
  const store = makeStore();
  store.dispatch(sessionStarted({ user: { id: ME, username: "me" } }));
  const ev = (t: string, d: unknown, at = 0) => store.dispatch(gatewayEvent({ t, d, me: ME, at }));
  ev("READY", { session_id: "s", user: { id: ME, username: "me" }, guilds: ["1"] });
  ev("GUILD_CREATE", guild);
  return { store, ev };
}

describe("messages", () => {
  it("keeps messages in snowflake order whatever order they arrive in", () => {
    const { store, ev } = signedIn();
    // 64-bit ids: string order would put "9…" after "10…"; numeric order must win.
    ev("MESSAGE_CREATE", msg("1000000000000000002"));
    ev("MESSAGE_CREATE", msg("999999999999999999"));
    store.dispatch(
      historyLoaded({
        channelId: "10",
        messages: [msg("1000000000000000001"), msg("1000000000000000000")],
        limit: 50,
      }),
    );
    expect(store.getState().messages.byChannel["10"].ids).toEqual([
      "999999999999999999",
      "1000000000000000000",
      "1000000000000000001",
      "1000000000000000002",
    ]);
    expect(store.getState().messages.byChannel["10"].hasMore).toBe(false);
  });

  it("shows a new display name on older messages and in the member list at once", () => {
    const { store, ev } = signedIn();
    ev("MESSAGE_CREATE", msg("5"));
    const bob = { id: OTHER, username: "bob", global_name: "Bobby" };
    ev("GUILD_MEMBER_UPDATE", { guild_id: "1", user: bob, nick: null, roles: [] });
    const state = store.getState();
    expect(state.messages.byChannel["10"].byId["5"].author.global_name).toBe("Bobby");
    expect(state.members.byGuild["1"][OTHER].user.global_name).toBe("Bobby");
    ev("USER_UPDATE", { id: ME, username: "me", global_name: "Myself" });
    expect(store.getState().members.byGuild["1"][ME].user.global_name).toBe("Myself");
  });

  it("dedupes by id: our REST echo and the gateway's MESSAGE_CREATE are one message", () => {
    const { store, ev } = signedIn();
    store.dispatch(messageUpserted(msg("5", { author: { id: ME, username: "me" } })));
    ev("MESSAGE_CREATE", msg("5", { author: { id: ME, username: "me" } }));
    store.dispatch(historyLoaded({ channelId: "10", messages: [msg("5")], limit: 1 }));
    const channel = store.getState().messages.byChannel["10"];
    expect(channel.ids).toEqual(["5"]);
    expect(channel.hasMore).toBe(true);
  });

  it("applies MESSAGE_UPDATE and MESSAGE_DELETE", () => {
    const { store, ev } = signedIn();
    ev("MESSAGE_CREATE", msg("5"));
    ev("MESSAGE_CREATE", msg("6"));
    ev("MESSAGE_UPDATE", {
      id: "5",
      channel_id: "10",
      content: "edited",
      edited_timestamp: "2026-11-24T00:01:00Z",
    });
    ev("MESSAGE_DELETE", { id: "6", channel_id: "10", guild_id: "1" });
    const channel = store.getState().messages.byChannel["10"];
    expect(channel.ids).toEqual(["5"]);
    expect(channel.byId["5"]).toMatchObject({ content: "edited", author: { id: OTHER } });
    expect(channel.byId["5"].edited_timestamp).not.toBeNull();
    ev("MESSAGE_UPDATE", { id: "404", channel_id: "10", content: "ghost" });
    expect(store.getState().messages.byChannel["10"].ids).toEqual(["5"]);
  });

  it("counts reactions, ours once even when applied optimistically", () => {
    const { store, ev } = signedIn();
    ev("MESSAGE_CREATE", msg("5"));
    const base = { channel_id: "10", message_id: "5", emoji: { name: "👍" } };
    ev("MESSAGE_REACTION_ADD", { ...base, user_id: OTHER });
    store.dispatch(ownReaction({ ...base, user_id: ME, add: true }));
    ev("MESSAGE_REACTION_ADD", { ...base, user_id: ME }); // the server's echo of ours
    const reactions = () => store.getState().messages.byChannel["10"].byId["5"].reactions;
    expect(reactions()).toEqual([
      { emoji: { name: "👍" }, count: 2, me: true, users: [OTHER, ME] },
    ]);
    ev("MESSAGE_REACTION_REMOVE", { ...base, user_id: ME });
    expect(reactions()).toEqual([{ emoji: { name: "👍" }, count: 1, me: false, users: [OTHER] }]);
    ev("MESSAGE_REACTION_REMOVE", { ...base, user_id: OTHER });
    expect(reactions()).toEqual([]);
  });
});

describe("guilds and channels", () => {
  it("loads guilds from READY + GUILD_CREATE and selects the first", () => {
    const { store, ev } = signedIn();
    expect(store.getState().guilds.order).toEqual(["1"]);
    expect(store.getState().guilds.selected).toBe("1");
    expect(store.getState().guilds.pending).toEqual([]);
    expect(store.getState().guilds.byId["1"]).not.toHaveProperty("channels");
    ev("GUILD_UPDATE", { id: "1", name: "Renamed", owner_id: ME });
    expect(store.getState().guilds.byId["1"].name).toBe("Renamed");
    store.dispatch(guildLoaded({ id: "2", name: "Joined", owner_id: OTHER, channels: [] }));
    ev("GUILD_DELETE", { id: "1" });
    expect(store.getState().guilds.order).toEqual(["2"]);
    expect(store.getState().guilds.selected).toBe("2");
  });

  it("groups channels under categories in position order", () => {
    const { store } = signedIn();
    const groups = groupChannels(Object.values(store.getState().channels.byId));
    expect(groups.map((g) => [g.category?.name ?? null, g.channels.map((c) => c.name)])).toEqual([
      [null, ["general", "General"]],
      ["Topics", ["a-chat", "b-chat"]],
    ]);
  });

  it("applies channel events and tracks each channel's newest message", () => {
    const { store, ev } = signedIn();
    ev("CHANNEL_CREATE", { id: "15", type: 0, guild_id: "1", name: "new" });
    ev("CHANNEL_UPDATE", { id: "15", type: 0, guild_id: "1", name: "renamed" });
    store.dispatch(channelSelected({ guildId: "1", channelId: "15" }));
    ev("CHANNEL_DELETE", { id: "15", type: 0, guild_id: "1" });
    expect(store.getState().channels.byId["15"]).toBeUndefined();
    expect(store.getState().channels.selected["1"]).toBeUndefined();
    ev("MESSAGE_CREATE", msg("1000000000000000002"));
    ev("MESSAGE_CREATE", msg("999999999999999999"));
    expect(store.getState().channels.byId["10"].last_message_id).toBe("1000000000000000002");
  });
});

describe("read state", () => {
  it("marks a channel unread on a new message and clears it when read", () => {
    const { store, ev } = signedIn();
    const channel = () => store.getState().channels.byId["10"] as Channel;
    const mark = () => store.getState().readState.byChannel["10"];
    expect(isUnread(channel(), mark())).toBe(false); // no messages yet
    ev("MESSAGE_CREATE", msg("5"));
    expect(isUnread(channel(), mark())).toBe(true);
    store.dispatch(channelRead({ channelId: "10", messageId: "5" }));
    expect(isUnread(channel(), mark())).toBe(false);
    ev("MESSAGE_CREATE", msg("6"));
    expect(isUnread(channel(), mark())).toBe(true);
  });

  it("our own message does not make a channel unread", () => {
    const { store, ev } = signedIn();
    store.dispatch(channelRead({ channelId: "10", messageId: "5" }));
    ev("MESSAGE_CREATE", msg("6", { author: { id: ME, username: "me" } }));
    expect(
      isUnread(store.getState().channels.byId["10"], store.getState().readState.byChannel["10"]),
    ).toBe(false);
  });

  it("counts mentions until the channel is read, and READY's read_state seeds marks", () => {
    const { store, ev } = signedIn();
    ev("MESSAGE_CREATE", msg("5", { mentions: [{ id: ME, username: "me" }] }));
    ev("MESSAGE_CREATE", msg("6", { content: `hey <@${ME}>` }));
    ev("MESSAGE_CREATE", msg("7", { content: "not you" }));
    expect(store.getState().readState.byChannel["10"].mentions).toBe(2);
    store.dispatch(channelRead({ channelId: "10", messageId: "7" }));
    expect(store.getState().readState.byChannel["10"].mentions).toBe(0);
    ev("READY", {
      session_id: "s2",
      user: { id: ME, username: "me" },
      guilds: [],
      read_state: [{ id: "13", last_message_id: "42", mention_count: 3 }],
    });
    expect(store.getState().readState.byChannel["13"]).toEqual({ lastReadId: "42", mentions: 3 });
  });
});

describe("mentions of oneself", () => {
  it("include a mention of a role one holds, not of another role", () => {
    const message = msg("8", { content: "<@&50> hi", mention_roles: ["50"] });
    expect(mentions(message, ME, ["50"])).toBe(true);
    expect(mentions(message, ME, ["51"])).toBe(false);
    expect(mentions(message, ME)).toBe(false);
  });

  it("count a role mention as one of the user's while they hold the role", () => {
    const { store, ev } = signedIn();
    const roleMention = (id: string) => msg(id, { content: "<@&50>", mention_roles: ["50"] });
    ev("MESSAGE_CREATE", roleMention("20"));
    expect(store.getState().readState.byChannel["10"]?.mentions ?? 0).toBe(0);
    ev("GUILD_MEMBER_UPDATE", { guild_id: "1", user: { id: ME }, roles: ["50"] });
    ev("MESSAGE_CREATE", roleMention("21"));
    expect(store.getState().readState.byChannel["10"].mentions).toBe(1);
    ev("GUILD_MEMBER_UPDATE", { guild_id: "1", user: { id: OTHER }, roles: [] });
    ev("MESSAGE_CREATE", roleMention("22"));
    expect(store.getState().readState.byChannel["10"].mentions).toBe(2);
  });
});

describe("members and presence", () => {
  it("tracks members and presence from GUILD_CREATE and events", () => {
    const { store, ev } = signedIn();
    const state = () => store.getState().members;
    expect(Object.keys(state().byGuild["1"])).toEqual([ME, OTHER]);
    expect(state().presence[OTHER]).toBe("idle");
    ev("PRESENCE_UPDATE", { user: { id: OTHER }, guild_id: "1", status: "online" });
    expect(state().presence[OTHER]).toBe("online");
    ev("PRESENCE_UPDATE", { user: { id: OTHER }, guild_id: "1", status: "invisible" });
    expect(state().presence[OTHER]).toBe("offline");
    ev("GUILD_MEMBER_ADD", { guild_id: "1", user: { id: "300", username: "carol" }, roles: [] });
    ev("GUILD_MEMBER_UPDATE", { guild_id: "1", user: { id: "300", username: "carol" }, nick: "C" });
    expect(state().byGuild["1"]["300"].nick).toBe("C");
    ev("GUILD_MEMBER_REMOVE", { guild_id: "1", user: { id: "300", username: "carol" } });
    ev("GUILD_BAN_ADD", { guild_id: "1", user: { id: OTHER, username: "bob" } });
    expect(Object.keys(state().byGuild["1"])).toEqual([ME]);
    store.dispatch(
      membersLoaded({ guildId: "1", members: [{ user: { id: "400", username: "dan" } }] }),
    );
    expect(Object.keys(state().byGuild["1"])).toEqual(["400"]);
    expect(state().users["400"].username).toBe("dan");
  });
});

describe("members known by id only (Parley's member objects)", () => {
  it("keeps known names, fills names looked up later, and never breaks mentions", () => {
    const { store, ev } = signedIn();
    const state = () => store.getState().members;
    // Parley's GUILD_MEMBER_ADD: the user's id, no name.
    ev("GUILD_MEMBER_ADD", { guild_id: "1", user: { id: "500" }, roles: [] });
    expect(state().byGuild["1"]["500"].user.username).toBeUndefined();
    // A member event for someone already known keeps their name.
    ev("GUILD_MEMBER_UPDATE", { guild_id: "1", user: { id: OTHER }, nick: null, roles: [] });
    expect(state().byGuild["1"][OTHER].user.username).toBe("bob");
    // Typing "@bob" still finds Bob although a nameless member is in the guild.
    const members = state().byGuild["1"];
    expect(encodeMentions("hi @bob and @eve", members, state().users)).toBe(
      `hi <@${OTHER}> and @eve`,
    );
    // The name arrives (GET /users/{id}): the member shows it.
    store.dispatch(usersSeen([{ id: "500", username: "eve" }]));
    expect(state().byGuild["1"]["500"].user.username).toBe("eve");
    expect(encodeMentions("@eve", state().byGuild["1"], state().users)).toBe("<@500>");
  });
});

describe("voice states", () => {
  it("shows who is in each voice channel without joining, and who speaks", () => {
    const { store, ev } = signedIn();
    const inGeneral = () =>
      voiceMembers(store.getState().voice.byGuild, "1", "11").map((v) => v.user_id);
    expect(inGeneral()).toEqual([OTHER]);
    ev("VOICE_SPEAKING", { guild_id: "1", channel_id: "11", user_id: OTHER, speaking: true });
    expect(store.getState().voice.speaking[OTHER]).toBe(true);
    ev("VOICE_STATE_UPDATE", { guild_id: "1", channel_id: null, user_id: OTHER });
    expect(inGeneral()).toEqual([]);
    expect(store.getState().voice.speaking[OTHER]).toBeUndefined();
  });

  it("adds the voice states of a GUILD_CREATE's later parts to the first's", () => {
    const { store, ev } = signedIn();
    const inGeneral = () =>
      voiceMembers(store.getState().voice.byGuild, "1", "11").map((v) => v.user_id);
    const alone = { guild_id: "1", channel_id: "11", user_id: OTHER };
    const more = { guild_id: "1", channel_id: "11", user_id: "300" };
    ev("GUILD_CREATE", { ...guild, voice_states: [alone], chunk_index: 0, chunk_count: 3 });
    ev("GUILD_CREATE", { id: "1", members: [], voice_states: [more], chunk_index: 1 });
    ev("GUILD_CREATE", {
      id: "1",
      members: [{ user: { id: "301", username: "x" } }],
      chunk_index: 2,
    });
    expect(inGeneral().sort()).toEqual([OTHER, "300"]);
    expect(store.getState().guilds.byId["1"].name).toBe(guild.name); // parts keep the guild
    expect(store.getState().channels.byId["10"]).toBeDefined(); // ...and its channels
    expect(store.getState().members.byGuild["1"]["301"]).toBeDefined();
    ev("GUILD_CREATE", { ...guild, voice_states: [] }); // a whole one starts afresh
    expect(inGeneral()).toEqual([]);
  });

  it("undeafening gives back the mute from before deafening", () => {
    const { store } = signedIn();
    const self = () => store.getState().voice.self;
    store.dispatch(selfDeafSet(true));
    expect(self()).toMatchObject({ selfDeaf: true, selfMute: true });
    store.dispatch(selfDeafSet(false));
    expect(self()).toMatchObject({ selfDeaf: false, selfMute: false });
    store.dispatch(selfMuteSet(true));
    store.dispatch(selfDeafSet(true));
    store.dispatch(selfDeafSet(false));
    expect(self()).toMatchObject({ selfDeaf: false, selfMute: true });
  });

  it("follows our own join, mute/deaf and leave", () => {
    const { store, ev } = signedIn();
    const self = () => store.getState().voice.self;
    store.dispatch(joinRequested({ guildId: "1", channelId: "11" }));
    expect(self().connection).toBe("requested");
    ev("VOICE_STATE_UPDATE", { guild_id: "1", channel_id: "11", user_id: ME, self_mute: false });
    expect(self()).toMatchObject({ guildId: "1", channelId: "11" });
    store.dispatch(selfDeafSet(true));
    expect(self()).toMatchObject({ selfDeaf: true, selfMute: true });
    store.dispatch(selfMuteSet(false));
    expect(self()).toMatchObject({ selfDeaf: false, selfMute: false });
    store.dispatch(speakingChanged({ userId: ME, speaking: true }));
    expect(store.getState().voice.speaking[ME]).toBe(true);
    ev("VOICE_STATE_UPDATE", { guild_id: "1", channel_id: null, user_id: ME });
    expect(self()).toMatchObject({ guildId: null, channelId: null, connection: "disconnected" });
  });

  it("keeps a failed join in view, with its channel, after it left the channel", () => {
    const { store, ev } = signedIn();
    const self = () => store.getState().voice.self;
    store.dispatch(joinRequested({ guildId: "1", channelId: "11" }));
    ev("VOICE_STATE_UPDATE", { guild_id: "1", channel_id: "11", user_id: ME });
    store.dispatch(connectionChanged({ connection: "failed", error: "ICE failed" }));
    ev("VOICE_STATE_UPDATE", { guild_id: "1", channel_id: null, user_id: ME });
    expect(voiceMembers(store.getState().voice.byGuild, "1", "11").map((v) => v.user_id)).toEqual([
      OTHER,
    ]);
    expect(self()).toMatchObject({ guildId: "1", channelId: "11", connection: "failed" });
    store.dispatch(leaveRequested());
    expect(self()).toMatchObject({ channelId: null, connection: "disconnected" });
  });
});

describe("typing and session", () => {
  it("shows typing for 10 s, clears on the typist's message, ignores our own", () => {
    const { store, ev } = signedIn();
    ev("TYPING_START", { channel_id: "10", user_id: OTHER }, 1000);
    ev("TYPING_START", { channel_id: "10", user_id: ME }, 1000);
    expect(typingUsers(store.getState().typing, "10", 5000)).toEqual([OTHER]);
    expect(typingUsers(store.getState().typing, "10", 11_000)).toEqual([]);
    store.dispatch(typingExpired(11_000));
    expect(store.getState().typing.byChannel["10"]).toBeUndefined();
    ev("TYPING_START", { channel_id: "10", user_id: OTHER }, 20_000);
    ev("MESSAGE_CREATE", msg("9"), 21_000);
    expect(typingUsers(store.getState().typing, "10", 21_000)).toEqual([]);
  });

  it("forgets everything user-specific when the session ends", () => {
    const { store, ev } = signedIn();
    ev("MESSAGE_CREATE", msg("5"));
    expect(store.getState().auth.sessionId).toBe("s");
    store.dispatch(sessionEnded());
    const state = store.getState();
    expect(state.auth.user).toBeNull();
    expect(state.guilds.order).toEqual([]);
    expect(state.channels.byId).toEqual({});
    expect(state.messages.byChannel).toEqual({});
    expect(state.voice.byGuild).toEqual({});
  });
});
