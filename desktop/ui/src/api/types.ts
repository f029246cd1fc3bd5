// The shapes the client relies on. CONTRACT.md fixes some of them; for the rest these are
// Discord's shapes (see docs/client.md, "Assumptions about the backend").

export type Snowflake = string;

export interface User {
  id: Snowflake;
  username: string;
  global_name?: string | null;
  avatar?: string | null;
  email?: string | null;
}

export const ChannelType = { Text: 0, DM: 1, Voice: 2, GroupDM: 3, Category: 4 } as const;
export type ChannelTypeNumber = (typeof ChannelType)[keyof typeof ChannelType];

export interface Channel {
  id: Snowflake;
  type: number;
  guild_id?: Snowflake | null;
  name?: string | null;
  position?: number;
  parent_id?: Snowflake | null;
  topic?: string | null;
  last_message_id?: Snowflake | null;
  permission_overwrites?: Overwrite[];
  /** A DM's (type 1) or group DM's (type 3) other participants. */
  recipients?: User[];
  /** A group DM's owner. */
  owner_id?: Snowflake | null;
}

/** A channel's permission overwrite for a role (type 0) or a member (type 1). */
export interface Overwrite {
  id: Snowflake;
  type: number;
  allow: string;
  deny: string;
}

export interface Role {
  id: Snowflake;
  name: string;
  color?: number;
  permissions?: string;
  position?: number;
  hoist?: boolean;
  mentionable?: boolean;
}

export interface Member {
  user: User;
  nick?: string | null;
  roles?: Snowflake[];
  joined_at?: string;
  communication_disabled_until?: string | null;
}

export type PresenceStatus = "online" | "idle" | "dnd" | "invisible" | "offline";

export interface Presence {
  user: { id: Snowflake };
  guild_id?: Snowflake;
  status: PresenceStatus;
}

export interface VoiceState {
  guild_id: Snowflake;
  channel_id: Snowflake | null;
  user_id: Snowflake;
  session_id?: string;
  self_mute?: boolean;
  self_deaf?: boolean;
  mute?: boolean;
  deaf?: boolean;
  speaking?: boolean;
}

/** A guild's custom emoji (its image: `GET /emojis/{id}`). */
export interface GuildEmoji {
  id: Snowflake;
  name: string;
  animated?: boolean;
  available?: boolean;
  require_colons?: boolean;
  managed?: boolean;
  roles?: Snowflake[];
  user?: { id: Snowflake };
}

export interface Guild {
  id: Snowflake;
  name: string;
  owner_id: Snowflake;
  icon?: string | null;
  channels?: Channel[];
  roles?: Role[];
  emojis?: GuildEmoji[];
  members?: Member[];
  presences?: Presence[];
  voice_states?: VoiceState[];
  /** Set when a GUILD_CREATE too large for one frame comes in parts (0 is the first). */
  chunk_index?: number;
  chunk_count?: number;
}

export interface Emoji {
  id?: Snowflake | null;
  name: string;
}

export interface Reaction {
  emoji: Emoji;
  count: number;
  me: boolean;
  /** The client's own: who it saw react since it loaded (the API lists no reactors). */
  users?: Snowflake[];
}

export interface Attachment {
  id: Snowflake;
  filename: string;
  size?: number;
  url?: string;
  content_type?: string | null;
}

/** A link preview (Discord's embed object), filled in by the server after sending. */
export interface Embed {
  type?: "link" | "article" | "image" | string;
  url?: string;
  title?: string;
  description?: string;
  thumbnail?: { url: string; width?: number; height?: number };
  provider?: { name?: string };
  color?: number;
}

/** Discord's message flag that hides a message's link previews. */
export const SUPPRESS_EMBEDS = 1 << 2;

export interface Message {
  id: Snowflake;
  channel_id: Snowflake;
  guild_id?: Snowflake | null;
  author: User;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  reactions?: Reaction[];
  attachments?: Attachment[];
  embeds?: Embed[];
  flags?: number;
  mentions?: User[];
  mention_roles?: Snowflake[];
  mention_everyone?: boolean;
  /** CONTRACT's request field; accepted on the message object too. */
  reply_to?: Snowflake | null;
  /** Discord's shape for a reply. */
  message_reference?: { message_id?: Snowflake; channel_id?: Snowflake } | null;
  referenced_message?: Message | null;
  pinned?: boolean;
}

export interface Invite {
  code: string;
  guild?: Guild;
  guild_id?: Snowflake;
  channel_id?: Snowflake;
  max_age?: number;
  max_uses?: number;
  uses?: number;
}

export interface Ban {
  user: User;
  reason?: string | null;
}

export interface AuthResponse {
  user: User;
  access_token: string;
  refresh_token: string;
  token_type: "Bearer";
  expires_in: number;
}

export interface ApiErrorBody {
  code: string;
  message: string;
  errors?: Record<string, unknown>;
}

export interface OidcProvider {
  id: string;
  name: string;
}

export interface ReadStateEntry {
  id: Snowflake;
  last_message_id: Snowflake | null;
  mention_count?: number;
}

export interface ReadyData {
  session_id: string;
  user: User;
  guilds: (Snowflake | { id: Snowflake; unavailable?: boolean })[];
  heartbeat_interval: number;
  read_state?: ReadStateEntry[];
}

export interface VoiceServerUpdate {
  guild_id: Snowflake;
  channel_id?: Snowflake | null;
  endpoint: string | null;
  token: string;
}
