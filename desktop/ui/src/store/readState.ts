import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { Channel, Guild, Member, Message, ReadStateEntry, Snowflake } from "../api/types";
import { compareSnowflakes } from "../util/snowflake";
import { gatewayEvent, messageUpserted, sessionEnded } from "./actions";
import { mentions } from "./messages";

export interface ReadMark {
  /** The newest message the user has seen. */
  lastReadId: Snowflake | null;
  /** Messages mentioning the user since then. */
  mentions: number;
}

export interface ReadState {
  byChannel: Record<Snowflake, ReadMark>;
  /** The user's own roles in each guild: a mention of one is a mention of the user. */
  myRoles: Record<Snowflake, Snowflake[]>;
}

const initialState: ReadState = { byChannel: {}, myRoles: {} };

function markRead(state: ReadState, channelId: Snowflake, messageId: Snowflake): void {
  const mark = (state.byChannel[channelId] ??= { lastReadId: null, mentions: 0 });
  if (!mark.lastReadId || compareSnowflakes(messageId, mark.lastReadId) > 0)
    mark.lastReadId = messageId;
  mark.mentions = 0;
}

const slice = createSlice({
  name: "readState",
  initialState,
  reducers: {
    /** The user has seen the channel up to this message. */
    channelRead(state, action: PayloadAction<{ channelId: Snowflake; messageId: Snowflake }>) {
      markRead(state, action.payload.channelId, action.payload.messageId);
    },
    /** Marks remembered from an earlier run (localStorage / the desktop shell). */
    readStateRestored(state, action: PayloadAction<Record<Snowflake, ReadMark>>) {
      state.byChannel = { ...action.payload, ...state.byChannel };
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(sessionEnded, () => initialState)
      .addCase(messageUpserted, (state, action) =>
        markRead(state, action.payload.channel_id, action.payload.id),
      )
      .addCase(gatewayEvent, (state, action) => {
        const { t, d, me } = action.payload;
        if (t === "READY") {
          for (const entry of (d as { read_state?: ReadStateEntry[] }).read_state ?? []) {
            state.byChannel[entry.id] = {
              lastReadId: entry.last_message_id,
              mentions: entry.mention_count ?? 0,
            };
          }
        } else if (t === "GUILD_CREATE" || t === "GUILD_MEMBER_UPDATE") {
          const guild = t === "GUILD_CREATE" ? (d as Guild) : undefined;
          const own = guild
            ? guild.members?.find((m) => m.user.id === me)
            : (d as Member).user.id === me
              ? (d as Member)
              : undefined;
          const guildId = guild?.id ?? (d as { guild_id?: Snowflake }).guild_id;
          if (own?.roles && guildId) state.myRoles[guildId] = own.roles;
        } else if (t === "MESSAGE_CREATE") {
          const message = d as Message;
          const roles = message.guild_id ? state.myRoles[message.guild_id] : undefined;
          if (message.author?.id === me) markRead(state, message.channel_id, message.id);
          else if (mentions(message, me, roles)) {
            const mark = (state.byChannel[message.channel_id] ??= {
              lastReadId: null,
              mentions: 0,
            });
            if (!mark.lastReadId || compareSnowflakes(message.id, mark.lastReadId) > 0)
              mark.mentions += 1;
          }
        } else if (t === "MESSAGE_ACK") {
          const ack = d as { channel_id: Snowflake; message_id: Snowflake };
          markRead(state, ack.channel_id, ack.message_id);
        }
      });
  },
});

export const { channelRead, readStateRestored } = slice.actions;
export default slice.reducer;

/** A channel is unread when its newest message is newer than the user's read mark. */
export function isUnread(channel: Channel, mark: ReadMark | undefined): boolean {
  if (!channel.last_message_id) return false;
  if (!mark?.lastReadId) return true;
  return compareSnowflakes(channel.last_message_id, mark.lastReadId) > 0;
}
