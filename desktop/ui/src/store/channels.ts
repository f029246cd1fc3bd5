import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { Channel, Guild, Message, Snowflake, User } from "../api/types";
import { compareSnowflakes } from "../util/snowflake";
import { gatewayEvent, guildLoaded, messageUpserted, sessionEnded } from "./actions";

export interface ChannelsState {
  /** Guild channels. */
  byId: Record<Snowflake, Channel>;
  /** The channel open in each guild. */
  selected: Record<Snowflake, Snowflake>;
  /** DMs (type 1) and group DMs (type 3): kept apart from guild channels. */
  dms: Record<Snowflake, Channel>;
  /** The DM open in Home. */
  dmSelected: Snowflake | null;
}

const initialState: ChannelsState = { byId: {}, selected: {}, dms: {}, dmSelected: null };

/** Whether a channel is a DM or a group DM (no guild). */
export function isDm(channel: Pick<Channel, "type">): boolean {
  return channel.type === 1 || channel.type === 3;
}

function putDm(state: ChannelsState, channel: Channel): void {
  state.dms[channel.id] = { ...state.dms[channel.id], ...channel };
}

function dropDm(state: ChannelsState, id: Snowflake): void {
  delete state.dms[id];
  if (state.dmSelected === id) state.dmSelected = null;
}

function recipientsChanged(
  state: ChannelsState,
  event: { channel_id: Snowflake; user: User },
  added: boolean,
): void {
  const dm = state.dms[event.channel_id];
  if (!dm) return;
  const others = (dm.recipients ?? []).filter((u) => u.id !== event.user.id);
  dm.recipients = added ? [...others, event.user] : others;
}

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
  const channel = state.byId[message.channel_id] ?? state.dms[message.channel_id];
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
    /** The user's DMs as `GET /users/@me/channels` lists them. */
    dmsLoaded(state, action: PayloadAction<Channel[]>) {
      for (const channel of action.payload) putDm(state, channel);
    },
    /** A DM opened or created over REST (its CHANNEL_CREATE may follow), shown at once. */
    dmOpened(state, action: PayloadAction<Channel>) {
      putDm(state, action.payload);
      state.dmSelected = action.payload.id;
    },
    dmSelected(state, action: PayloadAction<Snowflake | null>) {
      state.dmSelected = action.payload;
    },
    /** The user left a group DM (its CHANNEL_DELETE follows). */
    dmLeft(state, action: PayloadAction<Snowflake>) {
      dropDm(state, action.payload);
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
            if (isDm(channel)) putDm(state, channel);
            else state.byId[channel.id] = { ...state.byId[channel.id], ...channel };
            break;
          }
          case "CHANNEL_RECIPIENT_ADD":
          case "CHANNEL_RECIPIENT_REMOVE":
            recipientsChanged(
              state,
              d as { channel_id: Snowflake; user: User },
              t === "CHANNEL_RECIPIENT_ADD",
            );
            break;
          case "CHANNEL_DELETE": {
            const channel = d as Channel;
            if (isDm(channel)) {
              dropDm(state, channel.id);
              break;
            }
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

export const { channelSelected, dmLeft, dmOpened, dmSelected, dmsLoaded } = slice.actions;
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

/** The newest first: a DM's last message, or its creation (its id) when it has none. */
export function byLastActivity(a: Channel, b: Channel): number {
  return compareSnowflakes(b.last_message_id ?? b.id, a.last_message_id ?? a.id);
}

/** What Home calls a DM: the other user's name, or a group's name, or its members' names. */
export function dmName(channel: Channel, name: (user: User) => string): string {
  if (channel.type === 3 && channel.name) return channel.name;
  const names = (channel.recipients ?? []).map(name);
  if (names.length > 0) return names.join(", ");
  return channel.type === 3 ? "Empty group" : "unknown user";
}
