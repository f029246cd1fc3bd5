import { createAction } from "@reduxjs/toolkit";
import type { AuthResponse, Guild, Message, Snowflake, User } from "../api/types";

/** Every gateway DISPATCH enters the store as this one action; each slice takes what it needs. */
export interface GatewayEventPayload {
  t: string;
  d: unknown;
  /** The signed-in user's id, so reducers can tell "mine" (reactions, mentions, voice). */
  me?: Snowflake;
  /** When it arrived (epoch ms): reducers stay pure. */
  at?: number;
}
export const gatewayEvent = createAction<GatewayEventPayload>("gateway/event");

/** A signed-in session began (login, register, OIDC, or a restored session). */
export const sessionStarted = createAction<{ user: User; auth?: AuthResponse }>("session/started");
/** The session ended: everything user-specific is dropped. */
export const sessionEnded = createAction("session/ended");

/** A guild we got over REST (create, join by invite) before its GUILD_CREATE arrives. */
export const guildLoaded = createAction<Guild>("guilds/loaded");

/** A message we got over REST (our own send, an edit): applied as MESSAGE_CREATE/UPDATE. */
export const messageUpserted = createAction<Message>("messages/upserted");
