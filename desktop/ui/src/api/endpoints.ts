// Every REST route the client calls, typed. CONTRACT.md names the routes; shapes it leaves open
// follow Discord's (docs/client.md lists them).

import type { ApiClient } from "./http";
import type {
  AuthResponse,
  Ban,
  Channel,
  Guild,
  GuildEmoji,
  Invite,
  Member,
  Message,
  OidcProvider,
  Role,
  Snowflake,
  User,
} from "./types";
import type { GuildNotificationSettings } from "../store/notificationSettings";

const enc = encodeURIComponent;

export interface AttachmentSlot {
  id: string;
  upload_url: string;
  upload_filename: string;
  upload_method?: string;
  upload_headers?: Record<string, string>;
  upload_fields?: Record<string, string>;
}

export interface NewAttachment {
  id: string;
  filename: string;
  uploaded_filename: string;
}

export function endpoints(api: ApiClient) {
  return {
    register: (body: { username: string; password: string; email: string }) =>
      api.request<AuthResponse>("POST", "/auth/register", { body, auth: false }),
    login: (body: { login: string; password: string }) =>
      api.request<AuthResponse>("POST", "/auth/login", { body, auth: false }),
    logout: (refreshToken: string) =>
      api.request<void>("POST", "/auth/logout", { body: { refresh_token: refreshToken } }),
    logoutAll: () => api.request<void>("POST", "/auth/logout-all"),
    changePassword: (body: { password: string; new_password: string }) =>
      api.request<void>("PATCH", "/users/@me/password", { body }),
    oidcProviders: () =>
      api
        .request<{ providers: OidcProvider[] }>("GET", "/auth/oidc/providers", { auth: false })
        .then((r) => r.providers ?? []),
    /** Where a provider sign-in starts; `state` comes back in the fragment (src/api/oidcReturn.ts). */
    oidcStartUrl: (provider: string, redirect: string, state: string) =>
      `${api.base}/auth/oidc/${enc(provider)}/start?redirect_uri=${enc(redirect)}&state=${enc(state)}`,
    gatewayUrl: () =>
      api.request<{ url: string }>("GET", "/gateway", { auth: false }).then((r) => r.url),

    me: () => api.request<User>("GET", "/users/@me"),
    updateMe: (body: Partial<Pick<User, "username" | "global_name" | "email">>) =>
      api.request<User>("PATCH", "/users/@me", { body }),
    myGuilds: () => api.request<Guild[]>("GET", "/users/@me/guilds"),
    user: (id: Snowflake) => api.request<User>("GET", `/users/${id}`),

    createGuild: (name: string) => api.request<Guild>("POST", "/guilds", { body: { name } }),
    guild: (id: Snowflake) => api.request<Guild>("GET", `/guilds/${id}`),
    updateGuild: (id: Snowflake, body: { name?: string }) =>
      api.request<Guild>("PATCH", `/guilds/${id}`, { body }),
    deleteGuild: (id: Snowflake) => api.request<void>("DELETE", `/guilds/${id}`),
    channels: (guildId: Snowflake) => api.request<Channel[]>("GET", `/guilds/${guildId}/channels`),
    createChannel: (
      guildId: Snowflake,
      body: { name: string; type: number; parent_id?: Snowflake | null },
    ) => api.request<Channel>("POST", `/guilds/${guildId}/channels`, { body }),
    updateChannel: (id: Snowflake, body: Partial<Channel>) =>
      api.request<Channel>("PATCH", `/channels/${id}`, { body }),
    deleteChannel: (id: Snowflake) => api.request<Channel>("DELETE", `/channels/${id}`),

    /** The user's DMs and group DMs. */
    dms: () => api.request<Channel[]>("GET", "/users/@me/channels"),
    openDm: (recipientId: Snowflake) =>
      api.request<Channel>("POST", "/users/@me/channels", { body: { recipient_id: recipientId } }),
    createGroupDm: (recipients: Snowflake[], name?: string) =>
      api.request<Channel>("POST", "/users/@me/channels", {
        body: name ? { recipients, name } : { recipients },
      }),
    addRecipient: (channelId: Snowflake, userId: Snowflake) =>
      api.request<void>("PUT", `/channels/${channelId}/recipients/${userId}`),
    removeRecipient: (channelId: Snowflake, userId: Snowflake) =>
      api.request<void>("DELETE", `/channels/${channelId}/recipients/${userId}`),
    members: (guildId: Snowflake) =>
      api.request<Member[]>("GET", `/guilds/${guildId}/members?limit=1000`),
    searchMembers: (guildId: Snowflake, query: string, limit = 10) =>
      api.request<Member[]>(
        "GET",
        `/guilds/${guildId}/members/search?query=${enc(query)}&limit=${limit}`,
      ),
    kick: (guildId: Snowflake, userId: Snowflake, reason?: string) =>
      api.request<void>("DELETE", `/guilds/${guildId}/members/${userId}`, {
        headers: reason ? { "X-Audit-Log-Reason": enc(reason) } : undefined,
      }),
    ban: (guildId: Snowflake, userId: Snowflake, reason?: string) =>
      api.request<void>("PUT", `/guilds/${guildId}/bans/${userId}`, {
        body: reason ? { reason } : {},
      }),
    bans: (guildId: Snowflake) => api.request<Ban[]>("GET", `/guilds/${guildId}/bans`),
    unban: (guildId: Snowflake, userId: Snowflake) =>
      api.request<void>("DELETE", `/guilds/${guildId}/bans/${userId}`),
    roles: (guildId: Snowflake) => api.request<Role[]>("GET", `/guilds/${guildId}/roles`),
    createRole: (guildId: Snowflake, body: Partial<Role>) =>
      api.request<Role>("POST", `/guilds/${guildId}/roles`, { body }),
    updateRole: (guildId: Snowflake, roleId: Snowflake, body: Partial<Role>) =>
      api.request<Role>("PATCH", `/guilds/${guildId}/roles/${roleId}`, { body }),
    emojis: (guildId: Snowflake) => api.request<GuildEmoji[]>("GET", `/guilds/${guildId}/emojis`),
    /** `image`: a `data:image/…;base64,…` URI (PNG, GIF, WebP or JPEG, at most 256 KB). */
    createEmoji: (guildId: Snowflake, body: { name: string; image: string }) =>
      api.request<GuildEmoji>("POST", `/guilds/${guildId}/emojis`, { body }),
    renameEmoji: (guildId: Snowflake, emojiId: Snowflake, name: string) =>
      api.request<GuildEmoji>("PATCH", `/guilds/${guildId}/emojis/${emojiId}`, { body: { name } }),
    deleteEmoji: (guildId: Snowflake, emojiId: Snowflake) =>
      api.request<void>("DELETE", `/guilds/${guildId}/emojis/${emojiId}`),
    addMemberRole: (guildId: Snowflake, userId: Snowflake, roleId: Snowflake) =>
      api.request<void>("PUT", `/guilds/${guildId}/members/${userId}/roles/${roleId}`),

    messages: (channelId: Snowflake, before?: Snowflake, limit = 50) =>
      api.request<Message[]>(
        "GET",
        `/channels/${channelId}/messages?limit=${limit}${before ? `&before=${before}` : ""}`,
      ),
    sendMessage: (
      channelId: Snowflake,
      body: { content: string; reply_to?: Snowflake; attachments?: NewAttachment[] },
    ) => api.request<Message>("POST", `/channels/${channelId}/messages`, { body }),
    editMessage: (channelId: Snowflake, messageId: Snowflake, content: string) =>
      api.request<Message>("PATCH", `/channels/${channelId}/messages/${messageId}`, {
        body: { content },
      }),
    deleteMessage: (channelId: Snowflake, messageId: Snowflake) =>
      api.request<void>("DELETE", `/channels/${channelId}/messages/${messageId}`),
    react: (channelId: Snowflake, messageId: Snowflake, emoji: string) =>
      api.request<void>(
        "PUT",
        `/channels/${channelId}/messages/${messageId}/reactions/${enc(emoji)}/@me`,
      ),
    unreact: (channelId: Snowflake, messageId: Snowflake, emoji: string) =>
      api.request<void>(
        "DELETE",
        `/channels/${channelId}/messages/${messageId}/reactions/${enc(emoji)}/@me`,
      ),
    typing: (channelId: Snowflake) => api.request<void>("POST", `/channels/${channelId}/typing`),
    /** The user's notification settings of every server they changed (docs/protocol.md). */
    notificationSettings: () =>
      api.request<GuildNotificationSettings[]>("GET", "/users/@me/guilds/settings"),
    /** Change them for one server (`@me`: the DMs). */
    updateNotificationSettings: (guildKey: string, body: Partial<GuildNotificationSettings>) =>
      api.request<GuildNotificationSettings>("PATCH", `/users/@me/guilds/${guildKey}/settings`, {
        body,
      }),
    /** The user has read the channel up to this message (the server's read state). */
    ack: (channelId: Snowflake, messageId: Snowflake) =>
      api.request<unknown>("POST", `/channels/${channelId}/messages/${messageId}/ack`, {
        body: {},
      }),
    attachmentSlots: (
      channelId: Snowflake,
      files: { id: string; filename: string; file_size: number; content_type: string }[],
    ) =>
      api
        .request<{
          attachments: AttachmentSlot[];
        }>("POST", `/channels/${channelId}/attachments`, { body: { files } })
        .then((r) => r.attachments),

    createInvite: (channelId: Snowflake, body: { max_age?: number; max_uses?: number }) =>
      api.request<Invite>("POST", `/channels/${channelId}/invites`, { body }),
    invite: (code: string) => api.request<Invite>("GET", `/invites/${enc(code)}`),
    joinInvite: (code: string) => api.request<Guild>("POST", `/invites/${enc(code)}`),
  };
}

export type Endpoints = ReturnType<typeof endpoints>;
