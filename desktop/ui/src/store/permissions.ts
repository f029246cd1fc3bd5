// The signed-in user's permissions, from what the store holds (util/permissions.ts computes).
import type { Snowflake } from "../api/types";
import { Permission, computePermissions } from "../util/permissions";
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
  const channel = channelId ? state.channels.byId[channelId] : undefined;
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
