import { createSlice, type PayloadAction } from "@reduxjs/toolkit";
import type { Emoji, Message, Snowflake, User } from "../api/types";
import { compareSnowflakes } from "../util/snowflake";
import { gatewayEvent, messageUpserted, sessionEnded } from "./actions";

export interface ChannelMessages {
  /** Message ids, oldest first (snowflake order). */
  ids: Snowflake[];
  byId: Record<Snowflake, Message>;
  /** Older history may exist on the server. */
  hasMore: boolean;
  loading: boolean;
  /** The first page has been fetched. */
  loaded: boolean;
  error: string | null;
}

export interface MessagesState {
  byChannel: Record<Snowflake, ChannelMessages>;
}

const initialState: MessagesState = { byChannel: {} };

function emptyChannel(): ChannelMessages {
  return { ids: [], byId: {}, hasMore: true, loading: false, loaded: false, error: null };
}

/** A user's new profile (a display name, a username) reaches every message they wrote. */
function renameAuthor(state: MessagesState, user: User | undefined): void {
  if (!user?.id || !user.username) return;
  for (const channel of Object.values(state.byChannel))
    for (const message of Object.values(channel.byId))
      if (message.author?.id === user.id) message.author = { ...message.author, ...user };
}

function channelOf(state: MessagesState, channelId: Snowflake): ChannelMessages {
  state.byChannel[channelId] ??= emptyChannel();
  return state.byChannel[channelId];
}

/** Insert in snowflake order, or merge into the copy already held (dedupe by id). */
function put(state: MessagesState, message: Message): void {
  const channel = channelOf(state, message.channel_id);
  const held = channel.byId[message.id];
  if (held) {
    channel.byId[message.id] = { ...held, ...message };
    return;
  }
  channel.byId[message.id] = message;
  const ids = channel.ids;
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareSnowflakes(ids[mid], message.id) < 0) lo = mid + 1;
    else hi = mid;
  }
  ids.splice(lo, 0, message.id);
}

function update(state: MessagesState, patch: Partial<Message> & { id: Snowflake }): void {
  const channel = patch.channel_id ? state.byChannel[patch.channel_id] : undefined;
  const held = channel?.byId[patch.id];
  if (channel && held) channel.byId[patch.id] = { ...held, ...patch };
}

function drop(state: MessagesState, channelId: Snowflake, ids: Snowflake[]): void {
  const channel = state.byChannel[channelId];
  if (!channel) return;
  const gone = new Set(ids);
  channel.ids = channel.ids.filter((id) => !gone.has(id));
  for (const id of ids) delete channel.byId[id];
}

interface ReactionEvent {
  user_id: Snowflake;
  channel_id: Snowflake;
  message_id: Snowflake;
  emoji: Emoji;
}

function sameEmoji(a: Emoji, b: Emoji): boolean {
  return a.id ? a.id === b.id : a.name === b.name;
}

/** Count a reaction change once; our own is idempotent (it may be applied optimistically). */
function react(state: MessagesState, e: ReactionEvent, mine: boolean, add: boolean): void {
  const message = state.byChannel[e.channel_id]?.byId[e.message_id];
  if (!message) return;
  const reactions = (message.reactions ??= []);
  const index = reactions.findIndex((r) => sameEmoji(r.emoji, e.emoji));
  const reaction = index >= 0 ? reactions[index] : undefined;
  if (add) {
    if (mine && reaction?.me) return;
    if (reaction) {
      reaction.count += 1;
      if (mine) reaction.me = true;
      if (!reaction.users?.includes(e.user_id)) (reaction.users ??= []).push(e.user_id);
    } else reactions.push({ emoji: e.emoji, count: 1, me: mine, users: [e.user_id] });
  } else {
    if (!reaction || (mine && !reaction.me)) return;
    reaction.count -= 1;
    if (mine) reaction.me = false;
    reaction.users = reaction.users?.filter((id) => id !== e.user_id);
    if (reaction.count <= 0) reactions.splice(index, 1);
  }
}

const slice = createSlice({
  name: "messages",
  initialState,
  reducers: {
    historyRequested(state, action: PayloadAction<Snowflake>) {
      const channel = channelOf(state, action.payload);
      channel.loading = true;
      channel.error = null;
    },
    historyLoaded(
      state,
      action: PayloadAction<{ channelId: Snowflake; messages: Message[]; limit: number }>,
    ) {
      const { channelId, messages, limit } = action.payload;
      const channel = channelOf(state, channelId);
      for (const message of messages) put(state, { ...message, channel_id: channelId });
      channel.loading = false;
      channel.loaded = true;
      channel.hasMore = messages.length >= limit;
    },
    historyFailed(state, action: PayloadAction<{ channelId: Snowflake; error: string }>) {
      const channel = channelOf(state, action.payload.channelId);
      channel.loading = false;
      channel.error = action.payload.error;
    },
    ownReaction(state, action: PayloadAction<ReactionEvent & { add: boolean }>) {
      react(state, action.payload, true, action.payload.add);
    },
    messageRemoved(state, action: PayloadAction<{ channelId: Snowflake; id: Snowflake }>) {
      drop(state, action.payload.channelId, [action.payload.id]);
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(sessionEnded, () => initialState)
      .addCase(messageUpserted, (state, action) => put(state, action.payload))
      .addCase(gatewayEvent, (state, action) => {
        const { t, d, me } = action.payload;
        switch (t) {
          case "MESSAGE_CREATE":
            put(state, d as Message);
            break;
          case "MESSAGE_UPDATE":
            update(state, d as Message);
            break;
          case "MESSAGE_DELETE": {
            const { id, channel_id } = d as { id: Snowflake; channel_id: Snowflake };
            drop(state, channel_id, [id]);
            break;
          }
          case "MESSAGE_DELETE_BULK": {
            const { ids, channel_id } = d as { ids: Snowflake[]; channel_id: Snowflake };
            drop(state, channel_id, ids);
            break;
          }
          case "MESSAGE_REACTION_ADD":
          case "MESSAGE_REACTION_REMOVE": {
            const e = d as ReactionEvent;
            react(state, e, e.user_id === me, t === "MESSAGE_REACTION_ADD");
            break;
          }
          case "CHANNEL_DELETE":
            delete state.byChannel[(d as { id: Snowflake }).id];
            break;
          case "USER_UPDATE":
            renameAuthor(state, d as User);
            break;
          case "GUILD_MEMBER_UPDATE":
            renameAuthor(state, (d as { user?: User }).user);
            break;
          default:
            break;
        }
      });
  },
});

export const { historyRequested, historyLoaded, historyFailed, ownReaction, messageRemoved } =
  slice.actions;
export default slice.reducer;

/** The id of the reply target, whichever shape the server uses. */
export function replyTarget(message: Message): Snowflake | null {
  return message.reply_to ?? message.message_reference?.message_id ?? null;
}

/** Does this message mention the user (by id, `<@id>` in the text, or @everyone)? */
export function mentions(
  message: Message,
  userId: Snowflake | undefined,
  roleIds: readonly Snowflake[] = [],
): boolean {
  if (!userId) return false;
  if (message.mention_everyone) return true;
  if (message.mention_roles?.some((r) => roleIds.includes(r))) return true;
  if (message.mentions?.some((u) => u.id === userId)) return true;
  return message.content.includes(`<@${userId}>`) || message.content.includes(`<@!${userId}>`);
}
