import { useEffect, useMemo } from "react";
import { ApiError } from "../api/http";
import type { Message, Snowflake, User } from "../api/types";
import Markdown, { type MentionNames } from "../markdown/Markdown";
import { useClient } from "../services/context";
import { useAppDispatch, useAppSelector } from "../store/index";
import { displayName, usersSeen } from "../store/members";

/** Ids being asked of GET /users/{id} now, and ids with no user behind them: each asked once. */
const asking = new Set<Snowflake>();
const noSuchUser = new Set<Snowflake>();

function mentionedUserIds(content: string): Snowflake[] {
  return [...new Set([...content.matchAll(/<@!?(\d+)>/g)].map((m) => m[1]))];
}

/**
 * Learns the names of mentioned users this client does not know — people who left the guild, or
 * were never loaded — from the message's `mentions`, else from the user route; the store keeps them.
 */
function useMentionedUsers(message: Message, known: Record<Snowflake, User>): void {
  const client = useClient();
  const dispatch = useAppDispatch();
  const missing = mentionedUserIds(message.content).filter((id) => !known[id]?.username);
  const key = missing.join(",");
  useEffect(() => {
    if (!key) return;
    const ids = key.split(",");
    const carried = (message.mentions ?? []).filter((u) => ids.includes(u.id) && u.username);
    if (carried.length > 0) dispatch(usersSeen(carried));
    for (const id of ids) {
      if (carried.some((u) => u.id === id) || asking.has(id) || noSuchUser.has(id)) continue;
      asking.add(id);
      // The store keeps what is learned until sign-out; a deleted account stays "unknown user".
      client.ep
        .user(id)
        .then(
          (user) => dispatch(usersSeen([user])),
          (error: unknown) => {
            if (error instanceof ApiError && error.status === 404) noSuchUser.add(id);
          },
        )
        .finally(() => asking.delete(id));
    }
  }, [key, message.mentions, client, dispatch]);
}

/** A message's text: Discord-style markdown with users, roles and channels named. */
export default function MessageContent({ message }: { message: Message }) {
  const guildId = message.guild_id;
  const users = useAppSelector((s) => s.members.users);
  const members = useAppSelector((s) => (guildId ? s.members.byGuild[guildId] : undefined));
  const roles = useAppSelector((s) => (guildId ? s.guilds.byId[guildId]?.roles : undefined));
  const channels = useAppSelector((s) => s.channels.byId);
  useMentionedUsers(message, users);
  const names = useMemo<MentionNames>(
    () => ({
      user: (id) => displayName(users[id], members?.[id]),
      role: (id) => roles?.find((r) => r.id === id)?.name ?? "deleted role",
      channel: (id) => channels[id]?.name ?? "unknown channel",
    }),
    [users, members, roles, channels],
  );
  return <Markdown content={message.content} names={names} />;
}
