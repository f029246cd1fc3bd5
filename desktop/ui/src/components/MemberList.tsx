import ChatBubbleIcon from "@mui/icons-material/ChatBubble";
import { Box, IconButton, Tooltip, Typography } from "@mui/material";
import { useEffect, useMemo } from "react";
import type { Member, PresenceStatus } from "../api/types";
import { useClient } from "../services/context";
import { useAppDispatch, useAppSelector } from "../store/index";
import { displayName, membersLoaded } from "../store/members";
import { SIDEBAR_BG } from "../theme";
import { UserAvatar } from "./common";

export default function MemberList({ guildId }: { guildId: string }) {
  const client = useClient();
  const dispatch = useAppDispatch();
  const members = useAppSelector((s) => s.members.byGuild[guildId]);
  const loaded = useAppSelector((s) => s.members.loaded[guildId]);
  const presence = useAppSelector((s) => s.members.presence);
  const roles = useAppSelector((s) => s.guilds.byId[guildId]?.roles);
  const me = useAppSelector((s) => s.auth.user?.id);

  useEffect(() => {
    if (loaded) return;
    let cancelled = false;
    client.ep
      .members(guildId)
      .then((list) => !cancelled && dispatch(membersLoaded({ guildId, members: list })))
      .catch((error) => !cancelled && client.notify(error, "Could not load the member list"));
    return () => {
      cancelled = true;
    };
  }, [client, dispatch, guildId, loaded]);

  const groups = useMemo(() => {
    const online: Member[] = [];
    const offline: Member[] = [];
    for (const member of Object.values(members ?? {})) {
      const status = presence[member.user.id] ?? "offline";
      (status === "offline" ? offline : online).push(member);
    }
    const byName = (a: Member, b: Member) =>
      displayName(a.user, a).localeCompare(displayName(b.user, b));
    return [
      { label: "Online", members: online.sort(byName) },
      { label: "Offline", members: offline.sort(byName) },
    ];
  }, [members, presence]);

  return (
    <Box
      component="aside"
      aria-label="Members"
      sx={{
        width: 240,
        bgcolor: SIDEBAR_BG,
        overflowY: "auto",
        p: 1,
        display: { xs: "none", md: "block" },
      }}
    >
      {!members && (
        <Typography color="text.secondary" sx={{ p: 1 }}>
          Loading members…
        </Typography>
      )}
      {groups.map((group) =>
        group.members.length === 0 ? null : (
          <Box key={group.label} sx={{ mb: 2 }}>
            <Typography
              variant="caption"
              color="text.secondary"
              sx={{ fontWeight: 700, textTransform: "uppercase", px: 1 }}
            >
              {group.label} — {group.members.length}
            </Typography>
            {group.members.map((member) => {
              const status: PresenceStatus = presence[member.user.id] ?? "offline";
              const topRole = roles
                ?.filter((r) => member.roles?.includes(r.id) && r.color)
                .sort((a, b) => (b.position ?? 0) - (a.position ?? 0))[0];
              return (
                <Box
                  key={member.user.id}
                  data-testid={`member-${member.user.username}`}
                  data-status={status}
                  sx={{
                    display: "flex",
                    alignItems: "center",
                    gap: 1.5,
                    px: 1,
                    py: 0.5,
                    borderRadius: 1,
                    opacity: status === "offline" ? 0.5 : 1,
                    "&:hover": { bgcolor: "rgba(255,255,255,0.05)" },
                  }}
                >
                  <UserAvatar user={member.user} size={32} status={status} />
                  <Typography
                    noWrap
                    sx={{
                      color: topRole?.color
                        ? `#${topRole.color.toString(16).padStart(6, "0")}`
                        : undefined,
                    }}
                  >
                    {displayName(member.user, member)}
                  </Typography>
                  {member.user.id !== me && (
                    <Tooltip title="Message">
                      <IconButton
                        size="small"
                        aria-label={`Message ${displayName(member.user, member)}`}
                        onClick={() =>
                          client
                            .openDm(member.user.id)
                            .catch((error: unknown) =>
                              client.notify(error, "Could not open the DM"),
                            )
                        }
                        sx={{ ml: "auto", opacity: 0.6, "&:hover": { opacity: 1 } }}
                      >
                        <ChatBubbleIcon fontSize="inherit" />
                      </IconButton>
                    </Tooltip>
                  )}
                </Box>
              );
            })}
          </Box>
        ),
      )}
    </Box>
  );
}
