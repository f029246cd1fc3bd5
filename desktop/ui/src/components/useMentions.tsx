import { Box } from "@mui/material";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Channel, Member } from "../api/types";
import { useClient } from "../services/context";
import { useAppDispatch, useAppSelector } from "../store/index";
import { displayName, usersSeen } from "../store/members";
import { usePermissions } from "../store/permissions";
import {
  channelSuggestions,
  encodePicked,
  memberSuggestions,
  mentionTrigger,
  roleSuggestions,
  type Picked,
} from "../util/completion";
import { Permission, has } from "../util/permissions";
import type { Completer, Suggestion } from "./useCompletion";

/** How long typing pauses before the server's member search is asked. */
const SEARCH_DELAY_MS = 250;
const SHOWN = 10;

export interface Mentions {
  /** `@` (members, roles, @everyone/@here) and `#` (text channels) completion. */
  completers: Completer[];
  /** The text to send: the mentions picked from the suggestions become their tokens. */
  encode: (text: string) => string;
  /** Forgets the picked mentions (the text they were in was sent). */
  reset: () => void;
}

/** Mention completion for a guild channel's composer. */
export function useMentions(channel: Channel): Mentions {
  const client = useClient();
  const dispatch = useAppDispatch();
  const guildId = channel.guild_id ?? null;
  const members = useAppSelector((s) => (guildId ? s.members.byGuild[guildId] : undefined));
  const users = useAppSelector((s) => s.members.users);
  const roles = useAppSelector((s) => (guildId ? s.guilds.byId[guildId]?.roles : undefined));
  const channels = useAppSelector((s) => s.channels.byId);
  const permissions = usePermissions(guildId ?? undefined, channel.id);
  const [fetched, setFetched] = useState<Member[]>([]);
  const picked = useRef<Picked[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => () => clearTimeout(timer.current), []);

  // The server knows members this client has not loaded: ask it once typing pauses.
  const search = useCallback(
    (query: string) => {
      clearTimeout(timer.current);
      if (!guildId || !query) return;
      timer.current = setTimeout(() => {
        client.ep
          .searchMembers(guildId, query, SHOWN)
          .then((found) => {
            dispatch(usersSeen(found.map((m) => m.user).filter((u) => !!u.username)));
            setFetched(found);
          })
          .catch(() => {
            // Suggestions are a courtesy: the locally known members still show.
          });
      }, SEARCH_DELAY_MS);
    },
    [client, dispatch, guildId],
  );

  const guildChannels = useMemo(
    () => Object.values(channels).filter((c) => c.guild_id === guildId),
    [channels, guildId],
  );

  if (!guildId) return { completers: [], encode: (t) => t, reset: () => undefined };
  const mayMentionAll = has(permissions, Permission.MENTION_EVERYONE);
  // A row's key is the token it stands for (`<@id>`, `<@&id>`, `<#id>`); @everyone and @here
  // are sent as written.
  const remember = (s: Suggestion) => {
    if (s.key.startsWith("<")) picked.current.push({ label: s.text, token: s.key });
  };

  const people: Completer = {
    name: "Mention suggestions",
    testId: "mention-suggestions",
    title: (query) => (query ? `Members and roles matching @${query}` : "Members and roles"),
    spaced: true,
    find: (before) => {
      const t = mentionTrigger(before);
      return t?.sigil === "@" ? t : null;
    },
    onQuery: search,
    onPick: remember,
    suggest: (query) => {
      const local = Object.values(members ?? {});
      const found = memberSuggestions(local, fetched, users, query, SHOWN);
      const rows: Suggestion[] = found.map((m) => {
        const user = users[m.user.id] ?? m.user;
        return {
          key: `<@${m.user.id}>`,
          text: `@${user.username}`,
          label: row(displayName(user, m), user.username),
        };
      });
      for (const role of roleSuggestions(roles ?? [], guildId, query, mayMentionAll, SHOWN))
        rows.push({
          key: `<@&${role.id}>`,
          text: `@${role.name}`,
          label: row(`@${role.name}`, "role"),
        });
      if (mayMentionAll)
        for (const broad of ["everyone", "here"])
          if (broad.startsWith(query.toLowerCase()))
            rows.push({
              key: `@${broad}`,
              text: `@${broad}`,
              label: row(`@${broad}`, "notifies everyone here"),
            });
      return rows;
    },
  };

  const places: Completer = {
    name: "Channel suggestions",
    testId: "channel-suggestions",
    title: (query) => (query ? `Text channels matching #${query}` : "Text channels"),
    spaced: true,
    find: (before) => {
      const t = mentionTrigger(before);
      return t?.sigil === "#" ? t : null;
    },
    onPick: remember,
    suggest: (query) =>
      channelSuggestions(guildChannels, query, SHOWN).map((c) => ({
        key: `<#${c.id}>`,
        text: `#${c.name ?? ""}`,
        label: row(`#${c.name ?? ""}`),
      })),
  };

  return {
    completers: [people, places],
    encode: (text) => encodePicked(text, picked.current),
    reset: () => {
      picked.current = [];
    },
  };
}

function row(main: string, note?: string | null) {
  return (
    <Box sx={{ display: "flex", gap: 1.5, alignItems: "baseline", width: "100%" }}>
      <span>{main}</span>
      {note && (
        <Box component="span" sx={{ color: "text.secondary", fontSize: 12 }}>
          {note}
        </Box>
      )}
    </Box>
  );
}
