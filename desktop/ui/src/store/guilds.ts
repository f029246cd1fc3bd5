import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { Guild, GuildEmoji, Role, Snowflake } from "../api/types";
import { gatewayEvent, guildLoaded, sessionEnded } from "./actions";

/** A guild without its nested lists (those live in their own slices). */
export type GuildSummary = Omit<
  Guild,
  "channels" | "members" | "presences" | "voice_states" | "chunk_index" | "chunk_count"
>;

export interface GuildsState {
  byId: Record<Snowflake, GuildSummary>;
  order: Snowflake[];
  selected: Snowflake | null;
  /** The user opened Home (DMs): no guild is picked for them on load. */
  home: boolean;
  /** Guild ids READY announced whose GUILD_CREATE has not come yet. */
  pending: Snowflake[];
}

const initialState: GuildsState = {
  byId: {},
  order: [],
  selected: null,
  home: false,
  pending: [],
};

function upsert(state: GuildsState, guild: Guild): void {
  const summary: Partial<Guild> = { ...guild };
  delete summary.channels;
  delete summary.members;
  delete summary.presences;
  delete summary.voice_states;
  delete summary.chunk_index;
  delete summary.chunk_count;
  state.byId[guild.id] = { ...state.byId[guild.id], ...summary };
  if (!state.order.includes(guild.id)) state.order.push(guild.id);
  state.pending = state.pending.filter((id) => id !== guild.id);
}

function remove(state: GuildsState, id: Snowflake): void {
  delete state.byId[id];
  state.order = state.order.filter((g) => g !== id);
  state.pending = state.pending.filter((g) => g !== id);
  if (state.selected === id) state.selected = state.order[0] ?? null;
}

const slice = createSlice({
  name: "guilds",
  initialState,
  reducers: {
    guildSelected(state, action: PayloadAction<Snowflake | null>) {
      state.selected = action.payload;
      state.home = action.payload === null;
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(sessionEnded, () => initialState)
      .addCase(guildLoaded, (state, action) => upsert(state, action.payload))
      .addCase(gatewayEvent, (state, action) => {
        const { t, d } = action.payload;
        switch (t) {
          case "READY": {
            const ids = (d as { guilds?: (Snowflake | { id: Snowflake })[] }).guilds ?? [];
            state.pending = ids.map((g) => (typeof g === "string" ? g : g.id));
            break;
          }
          case "GUILD_CREATE":
          case "GUILD_UPDATE":
            upsert(state, d as Guild);
            break;
          case "GUILD_DELETE":
            remove(state, (d as { id: Snowflake }).id);
            break;
          case "GUILD_ROLE_CREATE":
          case "GUILD_ROLE_UPDATE": {
            const { guild_id, role } = d as { guild_id: Snowflake; role: Role };
            const guild = state.byId[guild_id];
            if (!guild) break;
            const roles = (guild.roles ?? []).filter((r) => r.id !== role.id);
            guild.roles = [...roles, role].sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
            break;
          }
          case "GUILD_ROLE_DELETE": {
            const { guild_id, role_id } = d as { guild_id: Snowflake; role_id: Snowflake };
            const guild = state.byId[guild_id];
            if (guild) guild.roles = (guild.roles ?? []).filter((r) => r.id !== role_id);
            break;
          }
          case "GUILD_EMOJIS_UPDATE": {
            const { guild_id, emojis } = d as { guild_id: Snowflake; emojis: GuildEmoji[] };
            const guild = state.byId[guild_id];
            if (guild) guild.emojis = emojis;
            break;
          }
          default:
            break;
        }
        if (state.selected === null && !state.home && state.order.length > 0)
          state.selected = state.order[0];
      });
  },
});

export const { guildSelected } = slice.actions;
export default slice.reducer;
