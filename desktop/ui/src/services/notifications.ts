// Notifications: whether an incoming message should pop a desktop notification (a pure
// decision, `shouldNotify`), how to show one (the browser's Notification API, or the desktop
// shell's bridge) with a short sound, and the window title's unread count. The settings come
// from the server (docs/protocol.md, "Notification settings"); docs/client.md has the rules.

import type { Channel, Message, Snowflake } from "../api/types";
import type { AppStore, RootState } from "../store/index";
import { displayName } from "../store/members";
import {
  DM_KEY,
  Level,
  defaultSettings,
  notificationPrefsChanged,
  type GuildNotificationSettings,
  type MuteConfig,
  type NotificationPrefs,
} from "../store/notificationSettings";
import { selectDmUnread } from "../store/dms";
import { isUnread } from "../store/readState";
import { shell } from "./shell";

/** The window's title when nothing is unread. */
export const APP_TITLE = "Parley";

/** Channel types of private channels: DMs (1) and group DMs (3) notify on every message. */
const PRIVATE_TYPES = new Set([1, 3]);

/** Whether a mute is in force at `now` (ms): a mute whose end time has passed is no mute. */
export function muteActive(muted: boolean, config: MuteConfig | null, now: number): boolean {
  if (!muted) return false;
  const end = config?.end_time;
  return !end || Date.parse(end) > now;
}

/** Whether the message mentions the user: by name, through one of their roles, or with
 * `@everyone`/`@here` (unless the user suppresses those). */
export function isMentioned(
  message: Message,
  me: Snowflake,
  roles: readonly Snowflake[],
  suppressEveryone: boolean,
): boolean {
  if (message.mentions?.some((u) => u.id === me)) return true;
  if (message.content.includes(`<@${me}>`) || message.content.includes(`<@!${me}>`)) return true;
  const mentionRoles = (message as Message & { mention_roles?: Snowflake[] }).mention_roles ?? [];
  if (roles.some((r) => mentionRoles.includes(r) || message.content.includes(`<@&${r}>`)))
    return true;
  return Boolean(message.mention_everyone) && !suppressEveryone;
}

/** Whether a message is in a DM or group DM (no guild, or a private channel type). */
export function isPrivate(message: Message, channel: Channel | undefined): boolean {
  return channel ? PRIVATE_TYPES.has(channel.type) : !message.guild_id;
}

/** The settings that apply to a channel: its server's (the DMs' for a private channel). */
export function settingsFor(
  byGuild: Record<string, GuildNotificationSettings>,
  guildId: Snowflake | null | undefined,
): GuildNotificationSettings {
  const key = guildId ?? DM_KEY;
  return byGuild[key] ?? defaultSettings(guildId ?? null);
}

/** Whether the channel is muted at `now`: its server (or the DMs) muted, or the channel. */
export function channelMuted(
  settings: GuildNotificationSettings,
  channelId: Snowflake,
  now: number,
): boolean {
  if (muteActive(settings.muted, settings.mute_config, now)) return true;
  const override = settings.channel_overrides.find((o) => o.channel_id === channelId);
  return Boolean(override && muteActive(override.muted, override.mute_config, now));
}

/** The level that applies in a channel: the channel's own, else its server's. */
export function effectiveLevel(settings: GuildNotificationSettings, channelId: Snowflake): Level {
  const override = settings.channel_overrides.find((o) => o.channel_id === channelId);
  return override && override.message_notifications !== Level.Inherit
    ? override.message_notifications
    : settings.message_notifications;
}

export interface NotifyInput {
  message: Message;
  me: Snowflake;
  /** The channel, when the store has it (its type tells a DM). */
  channel: Channel | undefined;
  /** The settings of the message's server (or of the DMs). */
  settings: GuildNotificationSettings;
  /** The user's roles in the message's server. */
  roles: readonly Snowflake[];
  /** The channel the user is looking at, and whether the window has focus. */
  viewing: Snowflake | null;
  focused: boolean;
  now: number;
}

/** Whether this incoming message should notify the user. */
export function shouldNotify(input: NotifyInput): boolean {
  const { message, me, settings, now } = input;
  if (message.author?.id === me) return false;
  if (input.focused && input.viewing === message.channel_id) return false;
  if (channelMuted(settings, message.channel_id, now)) return false;
  const override = settings.channel_overrides.find((o) => o.channel_id === message.channel_id);
  // A DM notifies on every message unless muted, or set to nothing on its own.
  if (isPrivate(message, input.channel)) return override?.message_notifications !== Level.Nothing;
  const level = effectiveLevel(settings, message.channel_id);
  if (level === Level.All) return true;
  if (level === Level.Nothing) return false;
  return isMentioned(message, me, input.roles, settings.suppress_everyone);
}

/** The window title: "(n) Parley" with n unread mentions, "(•) Parley" when channels are
 * unread without mentions, else "Parley". Muted channels and servers do not count. */
export function unreadTitle(state: RootState, now: number): string {
  const byGuild = state.notificationSettings.byGuild;
  let mentions = 0;
  let unread = false;
  for (const channel of Object.values(state.channels.byId)) {
    if (channel.type === 2 || channel.type === 4) continue;
    const mark = state.readState.byChannel[channel.id];
    const settings = settingsFor(
      byGuild,
      PRIVATE_TYPES.has(channel.type) ? null : channel.guild_id,
    );
    if (channelMuted(settings, channel.id, now)) continue;
    mentions += mark?.mentions ?? 0;
    unread ||= isUnread(channel, mark);
  }
  // Every unread DM message counts as a mention, as on the Home button's badge.
  const dmSettings = settingsFor(byGuild, null);
  for (const [channelId, count] of Object.entries(selectDmUnread(state)))
    if (!channelMuted(dmSettings, channelId, now)) mentions += count;
  if (mentions > 0) return `(${mentions}) ${APP_TITLE}`;
  return unread ? `(•) ${APP_TITLE}` : APP_TITLE;
}

/** The earliest mute end after `now` (ms), to recompute what depends on mutes then. */
export function nextMuteEnd(
  byGuild: Record<string, GuildNotificationSettings>,
  now: number,
): number | null {
  let next: number | null = null;
  for (const settings of Object.values(byGuild))
    for (const mute of [settings, ...settings.channel_overrides]) {
      const end = mute.muted && mute.mute_config?.end_time;
      const at = end ? Date.parse(end) : NaN;
      if (at > now && (next === null || at < next)) next = at;
    }
  return next;
}

/** What a notification says: who wrote, where, and the text. */
export function notificationText(
  state: RootState,
  message: Message,
): { title: string; body: string } {
  const author = state.members.users[message.author.id] ?? message.author;
  const member = message.guild_id
    ? state.members.byGuild[message.guild_id]?.[message.author.id]
    : undefined;
  const name = displayName(author, member);
  const channel = state.channels.byId[message.channel_id];
  const guild = message.guild_id ? state.guilds.byId[message.guild_id] : undefined;
  const where = channel?.name && guild ? ` (#${channel.name}, ${guild.name})` : "";
  // Mentions read as names, as in the message list.
  const content = message.content.replace(/<@!?(\d+)>/g, (whole, id: string) => {
    const user = state.members.users[id];
    return user ? `@${displayName(user)}` : whole;
  });
  const body = content || (message.attachments?.length ? "Sent an attachment." : "");
  return { title: `${name}${where}`, body };
}

/** A short two-note chime, synthesized (no audio file to ship). */
export function playChime(): void {
  const Context = window.AudioContext;
  if (!Context) return;
  try {
    const audio = new Context();
    const gain = audio.createGain();
    gain.connect(audio.destination);
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
    [880, 1320].forEach((frequency, i) => {
      const tone = audio.createOscillator();
      tone.type = "sine";
      tone.frequency.value = frequency;
      tone.connect(gain);
      tone.start(audio.currentTime + i * 0.09);
      tone.stop(audio.currentTime + 0.35);
    });
    setTimeout(() => void audio.close(), 600);
  } catch {
    // No audio device: the notification still shows.
  }
}

/** Whether the browser may show notifications (asked once, from a user gesture). */
export function notificationPermission(): NotificationPermission | "unsupported" {
  return typeof Notification === "undefined" ? "unsupported" : Notification.permission;
}

/** Ask for the browser's permission; call from a click. */
export async function requestNotificationPermission(): Promise<
  NotificationPermission | "unsupported"
> {
  if (typeof Notification === "undefined") return "unsupported";
  if (Notification.permission !== "default") return Notification.permission;
  return Notification.requestPermission();
}

/** Show one notification: through the desktop shell when inside it, else the browser's API.
 * `onClick` focuses the window and opens the channel. */
export function showNotification(
  text: { title: string; body: string },
  tag: string,
  onClick: () => void,
): void {
  const bridge = shell();
  if (bridge?.notify) {
    void bridge.notify(text.title, text.body);
    return;
  }
  if (notificationPermission() !== "granted") return;
  const shown = new Notification(text.title, { body: text.body, tag });
  shown.onclick = () => {
    window.focus();
    onClick();
    shown.close();
  };
}

const PREFS_KEY = "parley.notifications";

/** This device's notification choices, as last saved. */
export function loadPrefs(): Partial<NotificationPrefs> {
  try {
    return JSON.parse(window.localStorage.getItem(PREFS_KEY) ?? "{}") as Partial<NotificationPrefs>;
  } catch {
    return {};
  }
}

function savePrefs(prefs: NotificationPrefs): void {
  try {
    window.localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // Storage disabled: the choice lasts as long as the page.
  }
}

/** Watches the store and the incoming messages of one page: notifies, and keeps the title. */
export class Notifier {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly store: AppStore,
    /** Opens a channel (a notification was clicked). */
    private readonly open: (message: Message) => void,
  ) {}

  start(): void {
    this.store.dispatch(notificationPrefsChanged(loadPrefs()));
    let last = this.store.getState();
    this.unsubscribe?.();
    this.unsubscribe = this.store.subscribe(() => {
      const state = this.store.getState();
      if (state.notificationSettings.prefs !== last.notificationSettings.prefs)
        savePrefs(state.notificationSettings.prefs);
      if (
        state.channels !== last.channels ||
        state.readState !== last.readState ||
        state.notificationSettings !== last.notificationSettings
      )
        this.updateTitle();
      last = state;
    });
    this.updateTitle();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    document.title = APP_TITLE;
  }

  /** The title now, and again when the next mute ends (an ended mute counts again). */
  private updateTitle(): void {
    const state = this.store.getState();
    const now = Date.now();
    const title = unreadTitle(state, now);
    if (document.title !== title) document.title = title;
    if (this.timer) clearTimeout(this.timer);
    const next = nextMuteEnd(state.notificationSettings.byGuild, now);
    this.timer = next === null ? null : setTimeout(() => this.updateTitle(), next - now + 50);
  }

  /** A MESSAGE_CREATE arrived: notify if the user's settings say so. */
  messageCreated(message: Message, me: Snowflake): void {
    const state = this.store.getState();
    const guildId = state.guilds.selected;
    const channel =
      state.channels.byId[message.channel_id] ?? state.channels.dms[message.channel_id];
    const privateChannel = isPrivate(message, channel);
    const notify = shouldNotify({
      message,
      me,
      channel,
      settings: settingsFor(
        state.notificationSettings.byGuild,
        privateChannel ? null : message.guild_id,
      ),
      roles: (message.guild_id && state.members.byGuild[message.guild_id]?.[me]?.roles) || [],
      viewing: guildId ? (state.channels.selected[guildId] ?? null) : state.channels.dmSelected,
      focused: document.hasFocus(),
      now: Date.now(),
    });
    const { prefs } = state.notificationSettings;
    if (!notify || !prefs.desktop) return;
    showNotification(notificationText(state, message), message.channel_id, () =>
      this.open(message),
    );
    if (prefs.sound) playChime();
  }
}
