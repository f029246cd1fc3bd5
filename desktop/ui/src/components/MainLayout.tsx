import { Box, LinearProgress, Typography } from "@mui/material";
import { useAppSelector } from "../store/index";
import { selectPermissions } from "../store/permissions";
import { PANE_BG } from "../theme";
import { Permission, has } from "../util/permissions";
import ChannelSidebar from "./ChannelSidebar";
import GuildRail from "./GuildRail";
import HomeView from "./HomeView";
import MemberList from "./MemberList";
import MessagePane from "./MessagePane";

const STATUS_TEXT: Record<string, string> = {
  connecting: "Connecting to the server…",
  identifying: "Signing in to the gateway…",
  resuming: "Reconnecting…",
  reconnecting: "Connection lost. Reconnecting…",
  closed: "Disconnected.",
};

export default function MainLayout() {
  const gateway = useAppSelector((s) => s.auth.gateway);
  const sessionId = useAppSelector((s) => s.auth.sessionId);
  const guildId = useAppSelector((s) => s.guilds.selected);
  const channelId = useAppSelector((s) => (guildId ? s.channels.selected[guildId] : undefined));
  // A channel the user may no longer see (a role taken away) is not shown, whatever was picked.
  const channel = useAppSelector((s) =>
    channelId && has(selectPermissions(s, guildId, channelId), Permission.VIEW_CHANNEL)
      ? s.channels.byId[channelId]
      : undefined,
  );
  const pending = useAppSelector((s) => s.guilds.pending.length);
  const hasGuilds = useAppSelector((s) => s.guilds.order.length > 0);
  return (
    <Box
      sx={{ display: "flex", flexDirection: "column", height: "100vh" }}
      data-testid="main"
      data-gateway={gateway}
      data-gateway-session={sessionId ?? ""}
    >
      {gateway !== "ready" && gateway !== "idle" && (
        <Box role="status" sx={{ bgcolor: "#f0b232", color: "#000", px: 2, py: 0.25 }}>
          <Typography variant="body2">
            {/* Once a session was up, any other state means it was lost, whatever step the
                reconnect is at (connecting, resuming…). */}
            {sessionId && gateway !== "closed"
              ? STATUS_TEXT.reconnecting
              : (STATUS_TEXT[gateway] ?? gateway)}
          </Typography>
        </Box>
      )}
      {pending > 0 && <LinearProgress aria-label="Loading your servers" />}
      <Box sx={{ display: "flex", flex: 1, minHeight: 0 }}>
        <GuildRail />
        {guildId ? (
          <>
            <ChannelSidebar guildId={guildId} />
            <Box sx={{ flex: 1, minWidth: 0, bgcolor: PANE_BG, display: "flex" }}>
              {channel && channel.type !== 2 && channel.type !== 4 ? (
                <MessagePane key={channel.id} channel={channel} />
              ) : (
                <Box sx={{ m: "auto", color: "text.secondary" }}>
                  <Typography>Pick a text channel on the left.</Typography>
                </Box>
              )}
            </Box>
            <MemberList guildId={guildId} />
          </>
        ) : (
          <HomeView
            idle={
              gateway === "ready" && !hasGuilds && pending === 0
                ? "You are not in any server yet. Create one or join with an invite using the + on the left."
                : undefined
            }
          />
        )}
      </Box>
    </Box>
  );
}
