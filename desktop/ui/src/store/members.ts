import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { Guild, Member, Presence, PresenceStatus, Snowflake, User } from "../api/types";
import { gatewayEvent, guildLoaded, sessionEnded } from "./actions";

export interface MembersState {
  byGuild: Record<Snowflake, Record<Snowflake, Member>>;
  /** Last known status per user (presence is per user, not per guild). */
  presence: Record<Snowflake, PresenceStatus>;
  /** Every user seen, for names in messages and voice. */
  users: Record<Snowflake, User>;
  /** Guilds whose full member list was fetched over REST. */
  loaded: Record<Snowflake, boolean>;
}

const initialState: MembersState = { byGuild: {}, presence: {}, users: {}, loaded: {} };

function addMember(state: MembersState, guildId: Snowflake, member: Member): void {
  const guild = (state.byGuild[guildId] ??= {});
  // A member may carry its user's id only (Parley's member objects): keep the names known.
  const user = { ...state.users[member.user.id], ...member.user };
  state.users[member.user.id] = user;
  guild[member.user.id] = { ...guild[member.user.id], ...member, user };
}

function loadGuild(state: MembersState, guild: Guild): void {
  for (const member of guild.members ?? []) addMember(state, guild.id, member);
  for (const presence of guild.presences ?? []) setPresence(state, presence);
}

function setPresence(state: MembersState, presence: Presence): void {
  const status = presence.status === "invisible" ? "offline" : presence.status;
  state.presence[presence.user.id] = status;
}

const slice = createSlice({
  name: "members",
  initialState,
  reducers: {
    membersLoaded(state, action: PayloadAction<{ guildId: Snowflake; members: Member[] }>) {
      const { guildId, members } = action.payload;
      state.byGuild[guildId] = {};
      for (const member of members) addMember(state, guildId, member);
      state.loaded[guildId] = true;
    },
    usersSeen(state, action: PayloadAction<User[]>) {
      for (const user of action.payload) {
        const merged = { ...state.users[user.id], ...user };
        state.users[user.id] = merged;
        for (const guild of Object.values(state.byGuild))
          if (guild[user.id]) guild[user.id].user = merged;
      }
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(sessionEnded, () => initialState)
      .addCase(guildLoaded, (state, action) => loadGuild(state, action.payload))
      .addCase(gatewayEvent, (state, action) => {
        const { t, d } = action.payload;
        switch (t) {
          case "READY": {
            const user = (d as { user?: User }).user;
            if (user) {
              state.users[user.id] = user;
              state.presence[user.id] ??= "online";
            }
            break;
          }
          case "GUILD_CREATE":
            loadGuild(state, d as Guild);
            break;
          case "GUILD_DELETE": {
            const id = (d as { id: Snowflake }).id;
            delete state.byGuild[id];
            delete state.loaded[id];
            break;
          }
          case "GUILD_MEMBER_ADD":
          case "GUILD_MEMBER_UPDATE": {
            const member = d as Member & { guild_id: Snowflake };
            addMember(state, member.guild_id, member);
            break;
          }
          case "GUILD_MEMBER_REMOVE":
          case "GUILD_BAN_ADD": {
            const { guild_id, user } = d as { guild_id: Snowflake; user: User };
            if (state.byGuild[guild_id]) delete state.byGuild[guild_id][user.id];
            break;
          }
          case "PRESENCE_UPDATE":
            setPresence(state, d as Presence);
            break;
          case "MESSAGE_CREATE": {
            const author = (d as { author?: User }).author;
            if (author) state.users[author.id] = { ...state.users[author.id], ...author };
            break;
          }
          case "USER_UPDATE": {
            const user = d as User;
            const merged = { ...state.users[user.id], ...user };
            state.users[user.id] = merged;
            for (const guild of Object.values(state.byGuild))
              if (guild[user.id]) guild[user.id].user = merged;
            break;
          }
          default:
            break;
        }
      });
  },
});

export const { membersLoaded, usersSeen } = slice.actions;
export default slice.reducer;

export function displayName(user: User | undefined, member?: Member): string {
  return member?.nick || user?.global_name || user?.username || "unknown user";
}
