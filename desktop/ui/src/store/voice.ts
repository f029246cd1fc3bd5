import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { Guild, Snowflake, VoiceState } from "../api/types";
import { gatewayEvent, sessionEnded } from "./actions";

export type VoiceConnection = "disconnected" | "requested" | "connecting" | "connected" | "failed";

export interface SelfVoice {
  guildId: Snowflake | null;
  channelId: Snowflake | null;
  selfMute: boolean;
  selfDeaf: boolean;
  /** Whether we were muted before deafening: undeafening restores it (Discord's rule). */
  muteBeforeDeaf: boolean;
  connection: VoiceConnection;
  error: string | null;
}

export interface VoiceSliceState {
  /** Who is in which voice channel, per guild (known without joining). */
  byGuild: Record<Snowflake, Record<Snowflake, VoiceState>>;
  speaking: Record<Snowflake, boolean>;
  self: SelfVoice;
  inputDeviceId: string | null;
}

const initialSelf: SelfVoice = {
  guildId: null,
  channelId: null,
  selfMute: false,
  selfDeaf: false,
  muteBeforeDeaf: false,
  connection: "disconnected",
  error: null,
};

const initialState: VoiceSliceState = {
  byGuild: {},
  speaking: {},
  self: initialSelf,
  inputDeviceId: null,
};

function applyState(state: VoiceSliceState, vs: VoiceState, me: Snowflake | undefined): void {
  const guild = (state.byGuild[vs.guild_id] ??= {});
  if (vs.channel_id === null) {
    delete guild[vs.user_id];
    delete state.speaking[vs.user_id];
  } else {
    guild[vs.user_id] = vs;
    if (typeof vs.speaking === "boolean") state.speaking[vs.user_id] = vs.speaking;
  }
  if (vs.user_id === me && vs.guild_id === (state.self.guildId ?? vs.guild_id)) {
    if (vs.channel_id === null) {
      // A failed join leaves the channel for everyone, but the failure stays in view, with
      // the channel to retry, until the user retries or dismisses it.
      if (state.self.connection !== "failed")
        state.self = {
          ...initialSelf,
          selfMute: state.self.selfMute,
          selfDeaf: state.self.selfDeaf,
          muteBeforeDeaf: state.self.muteBeforeDeaf,
        };
    } else {
      state.self.guildId = vs.guild_id;
      state.self.channelId = vs.channel_id;
      state.self.selfMute = vs.self_mute ?? state.self.selfMute;
      state.self.selfDeaf = vs.self_deaf ?? state.self.selfDeaf;
    }
  }
}

const slice = createSlice({
  name: "voice",
  initialState,
  reducers: {
    /** We asked the gateway to join (op 4); the server answers with VOICE_STATE_UPDATE. */
    joinRequested(state, action: PayloadAction<{ guildId: Snowflake; channelId: Snowflake }>) {
      state.self.guildId = action.payload.guildId;
      state.self.channelId = action.payload.channelId;
      state.self.connection = "requested";
      state.self.error = null;
    },
    leaveRequested(state) {
      state.self = {
        ...initialSelf,
        selfMute: state.self.selfMute,
        selfDeaf: state.self.selfDeaf,
        muteBeforeDeaf: state.self.muteBeforeDeaf,
      };
    },
    selfMuteSet(state, action: PayloadAction<boolean>) {
      state.self.selfMute = action.payload;
      if (!action.payload) state.self.selfDeaf = false;
    },
    /** Deafening also mutes; undeafening gives back the mute from before deafening. */
    selfDeafSet(state, action: PayloadAction<boolean>) {
      if (action.payload === state.self.selfDeaf) return;
      state.self.selfDeaf = action.payload;
      if (action.payload) {
        state.self.muteBeforeDeaf = state.self.selfMute;
        state.self.selfMute = true;
      } else {
        state.self.selfMute = state.self.muteBeforeDeaf;
      }
    },
    connectionChanged(
      state,
      action: PayloadAction<{ connection: VoiceConnection; error?: string | null }>,
    ) {
      state.self.connection = action.payload.connection;
      state.self.error = action.payload.error ?? null;
    },
    speakingChanged(state, action: PayloadAction<{ userId: Snowflake; speaking: boolean }>) {
      state.speaking[action.payload.userId] = action.payload.speaking;
    },
    inputDeviceChosen(state, action: PayloadAction<string | null>) {
      state.inputDeviceId = action.payload;
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(sessionEnded, () => initialState)
      .addCase(gatewayEvent, (state, action) => {
        const { t, d, me } = action.payload;
        switch (t) {
          case "GUILD_CREATE": {
            const guild = d as Guild;
            // A guild too large for one frame comes in parts (docs/protocol.md): only the
            // first starts the guild's voice states afresh, the others add to them.
            if (!guild.chunk_index) state.byGuild[guild.id] = {};
            for (const vs of guild.voice_states ?? [])
              applyState(state, { ...vs, guild_id: guild.id }, me);
            break;
          }
          case "GUILD_DELETE":
            delete state.byGuild[(d as { id: Snowflake }).id];
            break;
          case "VOICE_STATE_UPDATE":
            applyState(state, d as VoiceState, me);
            break;
          case "VOICE_SPEAKING": {
            const s = d as { user_id: Snowflake; speaking: boolean };
            state.speaking[s.user_id] = s.speaking;
            break;
          }
          default:
            break;
        }
      });
  },
});

export const {
  joinRequested,
  leaveRequested,
  selfMuteSet,
  selfDeafSet,
  connectionChanged,
  speakingChanged,
  inputDeviceChosen,
} = slice.actions;
export default slice.reducer;

/** The users in one voice channel. */
export function voiceMembers(
  byGuild: VoiceSliceState["byGuild"],
  guildId: Snowflake,
  channelId: Snowflake,
): VoiceState[] {
  return Object.values(byGuild[guildId] ?? {}).filter((vs) => vs.channel_id === channelId);
}
