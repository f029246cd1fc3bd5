// The signed-in user's permissions, from what the store holds (util/permissions.ts computes).
import { shallowEqual } from "react-redux";
import type { Snowflake } from "../api/types";
import { Permission, computePermissions, has } from "../util/permissions";
import { type RootState, useAppSelector } from "./index";

/** In a DM both people may talk, react and attach; nobody manages anything. */
export const DM_PERMISSIONS =
  Permission.VIEW_CHANNEL |
  Permission.SEND_MESSAGES |
  Permission.READ_MESSAGE_HISTORY |
  Permission.ADD_REACTIONS |
  Permission.EMBED_LINKS |
  Permission.ATTACH_FILES;

/** The user's permissions in a guild, or in one of its channels (``channelId``); in a DM
 *  channel (no guild), DM_PERMISSIONS. None while the guild or the user is not known yet. */
export function selectPermissions(
  state: RootState,
  guildId: Snowflake | null | undefined,
  channelId?: Snowflake | null,
): bigint {
  const channel = channelId
    ? (state.channels.byId[channelId] ?? state.channels.dms[channelId])
    : undefined;
  const guildOf = guildId ?? channel?.guild_id;
  if (!guildOf) return channel ? DM_PERMISSIONS : 0n;
  const guild = state.guilds.byId[guildOf];
  const me = state.auth.user;
  if (!guild || !me) return 0n;
  return computePermissions({
    guildId: guildOf,
    ownerId: guild.owner_id,
    userId: me.id,
    roles: guild.roles ?? [],
    // GUILD_CREATE carries the members online, the user among them; until then, @everyone's.
    member: state.members.byGuild[guildOf]?.[me.id] ?? { roles: [] },
    channel,
  });
}

export function usePermissions(
  guildId: Snowflake | null | undefined,
  channelId?: Snowflake | null,
): bigint {
  return useAppSelector((s) => selectPermissions(s, guildId, channelId));
}

/** The ids of the guild's channels the user may see (VIEW_CHANNEL), for the channel list. A
 *  role taken away or changed is a guild event the client hears, so a channel it no longer
 *  opens leaves the list at once. */
export function selectViewableChannelIds(state: RootState, guildId: Snowflake): Snowflake[] {
  return Object.values(state.channels.byId)
    .filter(
      (c) =>
        c.guild_id === guildId &&
        has(selectPermissions(state, guildId, c.id), Permission.VIEW_CHANNEL),
    )
    .map((c) => c.id);
}

export function useViewableChannelIds(guildId: Snowflake): Snowflake[] {
  return useAppSelector((s) => selectViewableChannelIds(s, guildId), shallowEqual);
}
