// What the signed-in user may do in a guild or channel, to show only the actions they can take.
// The server decides every request on its own (shared/domain/permissions.py); this is the same
// algorithm (Discord's "Permission Hierarchy") over what GUILD_CREATE and the gateway events
// keep in the store. permissionCases.json holds cases both implementations must answer alike
// (src/util/permissions.test.ts here, tests/unit/test_permission_cases.py on the server).

import type { Member, Overwrite, Role, Snowflake } from "../api/types";

/** Discord's permission bits (the ones the client acts on), with Discord's values. */
export const Permission = {
  CREATE_INSTANT_INVITE: 1n << 0n,
  KICK_MEMBERS: 1n << 1n,
  BAN_MEMBERS: 1n << 2n,
  ADMINISTRATOR: 1n << 3n,
  MANAGE_CHANNELS: 1n << 4n,
  MANAGE_GUILD: 1n << 5n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  SEND_TTS_MESSAGES: 1n << 12n,
  MANAGE_MESSAGES: 1n << 13n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MENTION_EVERYONE: 1n << 17n,
  CONNECT: 1n << 20n,
  SPEAK: 1n << 21n,
  MANAGE_ROLES: 1n << 28n,
  MODERATE_MEMBERS: 1n << 40n,
} as const;

export const ALL = (1n << 41n) - 1n;
/** Server settings are for those who hold any of these (everyone may invite, by the button). */
export const MANAGES =
  Permission.MANAGE_GUILD |
  Permission.MANAGE_CHANNELS |
  Permission.MANAGE_ROLES |
  Permission.KICK_MEMBERS |
  Permission.BAN_MEMBERS;
const NEEDS_SEND =
  Permission.SEND_TTS_MESSAGES |
  Permission.MENTION_EVERYONE |
  Permission.EMBED_LINKS |
  Permission.ATTACH_FILES;
const TIMED_OUT_KEEPS = Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY;

export interface PermissionInput {
  guildId: Snowflake;
  ownerId: Snowflake;
  userId: Snowflake;
  roles: Role[]; // the guild's, @everyone (id = guild id) included
  member: Pick<Member, "roles" | "communication_disabled_until">;
  channel?: { permission_overwrites?: Overwrite[] } | null;
  now?: number; // ms since the epoch, for a timeout's end
}

function bits(value: string | undefined): bigint {
  if (!value || !/^\d{1,20}$/.test(value)) return 0n;
  return BigInt(value) & ALL;
}

/** The user's permissions in the guild, or in ``channel`` when one is given. */
export function computePermissions(input: PermissionInput): bigint {
  const { guildId, ownerId, userId, roles, member, channel } = input;
  if (userId === ownerId) return ALL;
  const byId = new Map(roles.map((r) => [r.id, r]));
  const mine = (member.roles ?? []).filter((id) => id !== guildId && byId.has(id));
  let base = bits(byId.get(guildId)?.permissions);
  for (const id of mine) base |= bits(byId.get(id)?.permissions);
  if (base & Permission.ADMINISTRATOR) return ALL;
  let permissions = base;
  if (channel) {
    const overwrites = new Map((channel.permission_overwrites ?? []).map((o) => [o.id, o]));
    const everyone = overwrites.get(guildId);
    if (everyone && everyone.type === 0) {
      permissions = (permissions & ~bits(everyone.deny)) | bits(everyone.allow);
    }
    let allow = 0n;
    let deny = 0n;
    for (const id of mine) {
      const overwrite = overwrites.get(id);
      if (overwrite && overwrite.type === 0) {
        allow |= bits(overwrite.allow);
        deny |= bits(overwrite.deny);
      }
    }
    permissions = (permissions & ~deny) | allow;
    const own = overwrites.get(userId);
    if (own && own.type === 1) permissions = (permissions & ~bits(own.deny)) | bits(own.allow);
    if (!(permissions & Permission.VIEW_CHANNEL)) permissions = 0n;
    else if (!(permissions & Permission.SEND_MESSAGES)) permissions &= ~NEEDS_SEND;
  }
  const until = member.communication_disabled_until;
  if (until && Date.parse(until) > (input.now ?? Date.now())) permissions &= TIMED_OUT_KEEPS;
  return permissions & ALL;
}

/** Whether ``permissions`` hold every bit of ``wanted``. */
export function has(permissions: bigint, wanted: bigint): boolean {
  return (permissions & wanted) === wanted;
}
