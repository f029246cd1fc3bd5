import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { Snowflake } from "../api/types";
import { gatewayEvent, sessionEnded } from "./actions";

/** `message_notifications`: Discord's numbers (3, in a channel override: as the server says). */
export const Level = { All: 0, Mentions: 1, Nothing: 2, Inherit: 3 } as const;
export type Level = (typeof Level)[keyof typeof Level];

export interface MuteConfig {
  end_time: string | null;
}

export interface ChannelOverride {
  channel_id: Snowflake;
  message_notifications: Level;
  muted: boolean;
  mute_config: MuteConfig | null;
}

/** One server's settings (`guild_id` null: the DMs'), as the server keeps them
 * (docs/protocol.md, "Notification settings"). */
export interface GuildNotificationSettings {
  guild_id: Snowflake | null;
  message_notifications: Level;
  muted: boolean;
  mute_config: MuteConfig | null;
  suppress_everyone: boolean;
  channel_overrides: ChannelOverride[];
}

/** The key of the DMs' settings (the route's `@me`). */
export const DM_KEY = "@me";

/** A server the user never configured: only mentions (the issue: mentions and DMs by default). */
export function defaultSettings(guildId: Snowflake | null): GuildNotificationSettings {
  return {
    guild_id: guildId,
    message_notifications: Level.Mentions,
    muted: false,
    mute_config: null,
    suppress_everyone: false,
    channel_overrides: [],
  };
}

/** This device's own choices (not the server's): desktop notifications and their sound. */
export interface NotificationPrefs {
  desktop: boolean;
  sound: boolean;
}

export interface NotificationSettingsState {
  /** By guild id, or {@link DM_KEY}; a guild absent has the defaults. */
  byGuild: Record<string, GuildNotificationSettings>;
  prefs: NotificationPrefs;
}

const initialState: NotificationSettingsState = {
  byGuild: {},
  prefs: { desktop: true, sound: true },
};

function put(state: NotificationSettingsState, settings: GuildNotificationSettings): void {
  state.byGuild[settings.guild_id ?? DM_KEY] = settings;
}

const slice = createSlice({
  name: "notificationSettings",
  initialState,
  reducers: {
    /** The user's settings as `GET /users/@me/guilds/settings` or a PATCH answered them. */
    notificationSettingsLoaded(state, action: PayloadAction<GuildNotificationSettings[]>) {
      for (const settings of action.payload) put(state, settings);
    },
    notificationPrefsChanged(state, action: PayloadAction<Partial<NotificationPrefs>>) {
      state.prefs = { ...state.prefs, ...action.payload };
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(sessionEnded, (state) => ({ ...initialState, prefs: state.prefs }))
      .addCase(gatewayEvent, (state, action) => {
        if (action.payload.t === "USER_GUILD_SETTINGS_UPDATE")
          put(state, action.payload.d as GuildNotificationSettings);
      });
  },
});

export const { notificationSettingsLoaded, notificationPrefsChanged } = slice.actions;
export default slice.reducer;
