import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { Channel, Guild, Message, Snowflake } from "../api/types";
import { compareSnowflakes } from "../util/snowflake";
import { gatewayEvent, guildLoaded, messageUpserted, sessionEnded } from "./actions";

export interface ChannelsState {
  byId: Record<Snowflake, Channel>;
  /** The channel open in each guild. */
  selected: Record<Snowflake, Snowflake>;
}

const initialState: ChannelsState = { byId: {}, selected: {} };

function loadGuild(state: ChannelsState, guild: Guild): void {
  if (!guild.channels) return;
  for (const id of Object.keys(state.byId)) {
    if (state.byId[id].guild_id === guild.id) delete state.byId[id];
  }
  for (const channel of guild.channels) {
    state.byId[channel.id] = { ...channel, guild_id: channel.guild_id ?? guild.id };
  }
}

function bumpLast(state: ChannelsState, message: Message): void {
  const channel = state.byId[message.channel_id];
  if (!channel) return;
  if (!channel.last_message_id || compareSnowflakes(message.id, channel.last_message_id) > 0)
    channel.last_message_id = message.id;
}

const slice = createSlice({
  name: "channels",
  initialState,
  reducers: {
    channelSelected(state, action: PayloadAction<{ guildId: Snowflake; channelId: Snowflake }>) {
      state.selected[action.payload.guildId] = action.payload.channelId;
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(sessionEnded, () => initialState)
      .addCase(guildLoaded, (state, action) => loadGuild(state, action.payload))
      .addCase(messageUpserted, (state, action) => bumpLast(state, action.payload))
      .addCase(gatewayEvent, (state, action) => {
        const { t, d } = action.payload;
        switch (t) {
          case "GUILD_CREATE":
            loadGuild(state, d as Guild);
            break;
          case "GUILD_DELETE": {
            const id = (d as { id: Snowflake }).id;
            for (const cid of Object.keys(state.byId))
              if (state.byId[cid].guild_id === id) delete state.byId[cid];
            delete state.selected[id];
            break;
          }
          case "CHANNEL_CREATE":
          case "CHANNEL_UPDATE": {
            const channel = d as Channel;
            state.byId[channel.id] = { ...state.byId[channel.id], ...channel };
            break;
          }
          case "CHANNEL_DELETE": {
            const channel = d as Channel;
            delete state.byId[channel.id];
            if (channel.guild_id && state.selected[channel.guild_id] === channel.id)
              delete state.selected[channel.guild_id];
            break;
          }
          case "MESSAGE_CREATE":
            bumpLast(state, d as Message);
            break;
          default:
            break;
        }
      });
  },
});

export const { channelSelected } = slice.actions;
export default slice.reducer;

/** A guild's channels as the sidebar shows them: categories in order, each with its children. */
export interface ChannelGroup {
  category: Channel | null;
  channels: Channel[];
}

function byPosition(a: Channel, b: Channel): number {
  return (a.position ?? 0) - (b.position ?? 0) || compareSnowflakes(a.id, b.id);
}

export function groupChannels(channels: Channel[]): ChannelGroup[] {
  const categories = channels.filter((c) => c.type === 4).sort(byPosition);
  const known = new Set(categories.map((c) => c.id));
  const children = channels.filter((c) => c.type !== 4);
  const groups: ChannelGroup[] = [
    {
      category: null,
      channels: children.filter((c) => !c.parent_id || !known.has(c.parent_id)).sort(byPosition),
    },
  ];
  for (const category of categories) {
    groups.push({
      category,
      channels: children.filter((c) => c.parent_id === category.id).sort(byPosition),
    });
  }
  return groups.filter((g) => g.category !== null || g.channels.length > 0);
}
