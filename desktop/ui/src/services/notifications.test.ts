import { describe, expect, it } from "vitest";
import type { Channel, Message } from "../api/types";
import { rootReducer } from "../store/index";
import { gatewayEvent } from "../store/actions";
import {
  Level,
  defaultSettings,
  type GuildNotificationSettings,
} from "../store/notificationSettings";
import { shouldNotify, unreadTitle, type NotifyInput } from "./notifications";

const ME = "10";
const OTHER = "20";
const ROLE = "30";
const GUILD = "1";
const CHANNEL = "100";
const NOW = Date.parse("2030-01-01T12:00:00Z");
const LATER = new Date(NOW + 3_600_000).toISOString();
const EARLIER = new Date(NOW - 1000).toISOString();

type Mention = "plain" | "user" | "role" | "everyone";

function message(mention: Mention, extra: Partial<Message> = {}): Message {
  return {
    id: "500",
    channel_id: CHANNEL,
    guild_id: GUILD,
    author: { id: OTHER, username: "alice" },
    content: mention === "plain" ? "hello" : "hey",
    timestamp: "",
    edited_timestamp: null,
    mentions: mention === "user" ? [{ id: ME, username: "me" }] : [],
    mention_everyone: mention === "everyone",
    ...(mention === "role" ? { mention_roles: [ROLE] } : {}),
    ...extra,
  } as Message;
}

function settings(change: Partial<GuildNotificationSettings> = {}): GuildNotificationSettings {
  return { ...defaultSettings(GUILD), ...change };
}

function input(change: Partial<NotifyInput> = {}): NotifyInput {
  return {
    message: message("plain"),
    me: ME,
    channel: { id: CHANNEL, type: 0, guild_id: GUILD, name: "general" } as Channel,
    settings: settings(),
    roles: [ROLE],
    viewing: null,
    focused: false,
    now: NOW,
    ...change,
  };
}

const MENTIONS: Mention[] = ["plain", "user", "role", "everyone"];

describe("whether a message notifies", () => {
  // Each server setting against each kind of mention (the default is "only mentions").
  const expected: Record<string, Record<Mention, boolean>> = {
    default: { plain: false, user: true, role: true, everyone: true },
    [Level.All]: { plain: true, user: true, role: true, everyone: true },
    [Level.Mentions]: { plain: false, user: true, role: true, everyone: true },
    [Level.Nothing]: { plain: false, user: false, role: false, everyone: false },
  };
  for (const [level, byMention] of Object.entries(expected))
    for (const mention of MENTIONS)
      it(`server setting ${level}, ${mention} message: ${byMention[mention]}`, () => {
        const s =
          level === "default"
            ? settings()
            : settings({ message_notifications: Number(level) as Level });
        expect(shouldNotify(input({ message: message(mention), settings: s }))).toBe(
          byMention[mention],
        );
      });

  it("a role mention counts only for a role the user has", () => {
    expect(shouldNotify(input({ message: message("role"), roles: [] }))).toBe(false);
  });

  it("suppressing @everyone leaves user and role mentions", () => {
    const s = settings({ suppress_everyone: true });
    expect(shouldNotify(input({ message: message("everyone"), settings: s }))).toBe(false);
    expect(shouldNotify(input({ message: message("user"), settings: s }))).toBe(true);
    expect(shouldNotify(input({ message: message("role"), settings: s }))).toBe(true);
  });

  it("a channel override wins over the server setting, and 3 follows the server", () => {
    const override = (level: Level) =>
      settings({
        message_notifications: Level.Nothing,
        channel_overrides: [
          { channel_id: CHANNEL, message_notifications: level, muted: false, mute_config: null },
        ],
      });
    expect(shouldNotify(input({ settings: override(Level.All) }))).toBe(true);
    expect(
      shouldNotify(input({ message: message("user"), settings: override(Level.Mentions) })),
    ).toBe(true);
    expect(
      shouldNotify(input({ message: message("user"), settings: override(Level.Inherit) })),
    ).toBe(false);
  });

  for (const where of ["server", "channel"] as const)
    it(`a ${where} mute silences even mentions until its end time, then no longer`, () => {
      const mute = (end: string | null) =>
        where === "server"
          ? settings({
              message_notifications: Level.All,
              muted: true,
              mute_config: { end_time: end },
            })
          : settings({
              message_notifications: Level.All,
              channel_overrides: [
                {
                  channel_id: CHANNEL,
                  message_notifications: Level.Inherit,
                  muted: true,
                  mute_config: end === undefined ? null : { end_time: end },
                },
              ],
            });
      const mentioned = message("user");
      expect(shouldNotify(input({ message: mentioned, settings: mute(LATER) }))).toBe(false);
      expect(shouldNotify(input({ message: mentioned, settings: mute(null) }))).toBe(false);
      expect(shouldNotify(input({ message: mentioned, settings: mute(EARLIER) }))).toBe(true);
      // the same mute, judged after its end: no reload needed
      expect(
        shouldNotify(input({ message: mentioned, settings: mute(LATER), now: NOW + 3_600_001 })),
      ).toBe(true);
    });

  it("never for the channel in view while the window has focus", () => {
    const all = settings({ message_notifications: Level.All });
    const mentioned = message("user");
    expect(
      shouldNotify(input({ message: mentioned, settings: all, viewing: CHANNEL, focused: true })),
    ).toBe(false);
    expect(
      shouldNotify(input({ message: mentioned, settings: all, viewing: CHANNEL, focused: false })),
    ).toBe(true);
    expect(
      shouldNotify(input({ message: mentioned, settings: all, viewing: "999", focused: true })),
    ).toBe(true);
  });

  it("never for one's own message", () => {
    const own = message("everyone", { author: { id: ME, username: "me" } });
    expect(
      shouldNotify(
        input({ message: own, settings: settings({ message_notifications: Level.All }) }),
      ),
    ).toBe(false);
  });

  for (const type of [1, 3])
    it(`a private channel (type ${type}) notifies on every message unless muted`, () => {
      const dm = { id: CHANNEL, type, name: "" } as Channel;
      const plain = message("plain", { guild_id: undefined });
      const dmSettings = defaultSettings(null);
      expect(shouldNotify(input({ message: plain, channel: dm, settings: dmSettings }))).toBe(true);
      const muted = {
        ...dmSettings,
        channel_overrides: [
          {
            channel_id: CHANNEL,
            message_notifications: Level.Inherit,
            muted: true,
            mute_config: { end_time: LATER },
          },
        ],
      };
      expect(shouldNotify(input({ message: plain, channel: dm, settings: muted }))).toBe(false);
      expect(
        shouldNotify(input({ message: plain, channel: dm, settings: muted, now: NOW + 3_600_001 })),
      ).toBe(true);
    });

  it("a DM the store does not know yet is told by its missing guild", () => {
    const plain = message("plain", { guild_id: undefined });
    expect(
      shouldNotify(input({ message: plain, channel: undefined, settings: defaultSettings(null) })),
    ).toBe(true);
  });
});

describe("the window title", () => {
  function stateWith(events: { t: string; d: unknown }[]) {
    let state = rootReducer(undefined, { type: "init" });
    for (const event of events) state = rootReducer(state, gatewayEvent({ ...event, me: ME }));
    return state;
  }
  const guild = {
    id: GUILD,
    name: "G",
    channels: [
      { id: CHANNEL, type: 0, name: "general", last_message_id: null },
      { id: "101", type: 0, name: "quiet", last_message_id: null },
    ],
  };
  const ready = { t: "READY", d: { user: { id: ME }, guilds: [{ id: GUILD }], read_state: [] } };
  const create = (channel: string, mention: Mention, id: string) => ({
    t: "MESSAGE_CREATE",
    d: message(mention, { id, channel_id: channel }),
  });

  it("counts mentions, shows a dot for unread without mentions, and skips muted channels", () => {
    const base = [ready, { t: "GUILD_CREATE", d: guild }];
    expect(unreadTitle(stateWith(base), NOW)).toBe("Parley");
    expect(unreadTitle(stateWith([...base, create("101", "plain", "600")]), NOW)).toBe(
      "(•) Parley",
    );
    const mentioned = stateWith([
      ...base,
      create(CHANNEL, "user", "601"),
      create(CHANNEL, "user", "602"),
    ]);
    expect(unreadTitle(mentioned, NOW)).toBe("(2) Parley");
    const mute = {
      t: "USER_GUILD_SETTINGS_UPDATE",
      d: settings({
        channel_overrides: [
          {
            channel_id: CHANNEL,
            message_notifications: Level.Inherit,
            muted: true,
            mute_config: { end_time: LATER },
          },
        ],
      }),
    };
    const muted = stateWith([...base, create(CHANNEL, "user", "601"), mute]);
    expect(unreadTitle(muted, NOW)).toBe("Parley");
    expect(unreadTitle(muted, NOW + 3_600_001)).toBe("(1) Parley");
  });
});
