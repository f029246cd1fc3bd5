// What the signed-in user may do in a guild or channel, to show only the actions they can take.
// The server decides every request on its own (shared/guilds/domain/permissions.py); this is the same
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
  MUTE_MEMBERS: 1n << 22n,
  DEAFEN_MEMBERS: 1n << 23n,
  MOVE_MEMBERS: 1n << 24n,
  CHANGE_NICKNAME: 1n << 26n,
  MANAGE_NICKNAMES: 1n << 27n,
  MANAGE_ROLES: 1n << 28n,
  /** Discord's MANAGE_EMOJIS (now MANAGE_GUILD_EXPRESSIONS): upload, rename, delete emoji. */
  MANAGE_GUILD_EXPRESSIONS: 1n << 30n,
  VIEW_AUDIT_LOG: 1n << 7n,
  MODERATE_MEMBERS: 1n << 40n,
} as const;

/** The permissions a role editor offers, grouped as Discord's settings group them. */
export const PERMISSION_GROUPS: { title: string; items: { bit: bigint; label: string }[] }[] = [
  {
    title: "General",
    items: [
      { bit: Permission.VIEW_CHANNEL, label: "View channels" },
      { bit: Permission.MANAGE_CHANNELS, label: "Manage channels" },
      { bit: Permission.MANAGE_ROLES, label: "Manage roles" },
      { bit: Permission.MANAGE_GUILD, label: "Manage server" },
      { bit: Permission.MANAGE_GUILD_EXPRESSIONS, label: "Manage emoji" },
      { bit: Permission.VIEW_AUDIT_LOG, label: "View audit log" },
      { bit: Permission.ADMINISTRATOR, label: "Administrator (every permission)" },
    ],
  },
  {
    title: "Members",
    items: [
      { bit: Permission.CREATE_INSTANT_INVITE, label: "Create invites" },
      { bit: Permission.CHANGE_NICKNAME, label: "Change own nickname" },
      { bit: Permission.MANAGE_NICKNAMES, label: "Manage nicknames" },
      { bit: Permission.KICK_MEMBERS, label: "Kick members" },
      { bit: Permission.BAN_MEMBERS, label: "Ban members" },
      { bit: Permission.MODERATE_MEMBERS, label: "Time out members" },
    ],
  },
  {
    title: "Text",
    items: [
      { bit: Permission.SEND_MESSAGES, label: "Send messages" },
      { bit: Permission.EMBED_LINKS, label: "Embed links" },
      { bit: Permission.ATTACH_FILES, label: "Attach files" },
      { bit: Permission.ADD_REACTIONS, label: "Add reactions" },
      { bit: Permission.MENTION_EVERYONE, label: "Mention @everyone" },
      { bit: Permission.MANAGE_MESSAGES, label: "Manage messages" },
      { bit: Permission.READ_MESSAGE_HISTORY, label: "Read message history" },
    ],
  },
  {
    title: "Voice",
    items: [
      { bit: Permission.CONNECT, label: "Connect" },
      { bit: Permission.SPEAK, label: "Speak" },
      { bit: Permission.MUTE_MEMBERS, label: "Mute members" },
      { bit: Permission.DEAFEN_MEMBERS, label: "Deafen members" },
      { bit: Permission.MOVE_MEMBERS, label: "Move members" },
    ],
  },
];

/** A few words for a role's permissions, for a list. */
export function describePermissions(value: bigint): string {
  if (value & Permission.ADMINISTRATOR) return "Administrator";
  const count = PERMISSION_GROUPS.flatMap((g) => g.items).filter((i) => value & i.bit).length;
  return count === 1 ? "1 permission" : `${count} permissions`;
}

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

/** A bitfield as the server sends it (a decimal string) as known bits; 0 for anything else. */
export function parseBits(value: string | undefined): bigint {
  if (!value || !/^\d{1,20}$/.test(value)) return 0n;
  return BigInt(value) & ALL;
}

/** The user's permissions in the guild, or in ``channel`` when one is given. */
export function computePermissions(input: PermissionInput): bigint {
  const { guildId, ownerId, userId, roles, member, channel } = input;
  if (userId === ownerId) return ALL;
  const byId = new Map(roles.map((r) => [r.id, r]));
  const mine = (member.roles ?? []).filter((id) => id !== guildId && byId.has(id));
  let base = parseBits(byId.get(guildId)?.permissions);
  for (const id of mine) base |= parseBits(byId.get(id)?.permissions);
  if (base & Permission.ADMINISTRATOR) return ALL;
  let permissions = base;
  if (channel) {
    const overwrites = new Map((channel.permission_overwrites ?? []).map((o) => [o.id, o]));
    const everyone = overwrites.get(guildId);
    if (everyone && everyone.type === 0) {
      permissions = (permissions & ~parseBits(everyone.deny)) | parseBits(everyone.allow);
    }
    let allow = 0n;
    let deny = 0n;
    for (const id of mine) {
      const overwrite = overwrites.get(id);
      if (overwrite && overwrite.type === 0) {
        allow |= parseBits(overwrite.allow);
        deny |= parseBits(overwrite.deny);
      }
    }
    permissions = (permissions & ~deny) | allow;
    const own = overwrites.get(userId);
    if (own && own.type === 1)
      permissions = (permissions & ~parseBits(own.deny)) | parseBits(own.allow);
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
