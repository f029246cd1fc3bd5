import ExpandMoreIcon from "@mui/icons-material/ExpandMore";
import MicOffIcon from "@mui/icons-material/MicOff";
import NotificationsIcon from "@mui/icons-material/Notifications";
import NotificationsOffIcon from "@mui/icons-material/NotificationsOff";
import HeadsetOffIcon from "@mui/icons-material/HeadsetOff";
import PersonAddIcon from "@mui/icons-material/PersonAdd";
import SettingsIcon from "@mui/icons-material/Settings";
import TagIcon from "@mui/icons-material/Tag";
import VolumeUpIcon from "@mui/icons-material/VolumeUp";
import { Badge, Box, ButtonBase, IconButton, Tooltip, Typography } from "@mui/material";
import { useEffect, useMemo, useState } from "react";
import type { Channel } from "../api/types";
import { useClient } from "../services/context";
import { channelMuted, muteActive, settingsFor } from "../services/notifications";
import { channelSelected, groupChannels } from "../store/channels";
import { useAppDispatch, useAppSelector } from "../store/index";
import { displayName } from "../store/members";
import { usePermissions, useViewableChannelIds } from "../store/permissions";
import { isUnread } from "../store/readState";
import { voiceMembers } from "../store/voice";
import { SIDEBAR_BG } from "../theme";
import { MANAGES, Permission, has } from "../util/permissions";
import { UserAvatar } from "./common";
import GuildSettingsDialog from "./GuildSettingsDialog";
import InviteDialog from "./InviteDialog";
import NotificationSettingsDialog from "./NotificationSettingsDialog";
import { useMuteClock } from "./useMuteClock";
import UserBar from "./UserBar";
import VoicePanel from "./VoicePanel";

export default function ChannelSidebar({ guildId }: { guildId: string }) {
  const guild = useAppSelector((s) => s.guilds.byId[guildId]);
  const all = useAppSelector((s) => s.channels.byId);
  const viewable = useViewableChannelIds(guildId);
  const selected = useAppSelector((s) => s.channels.selected[guildId]);
  const marks = useAppSelector((s) => s.readState.byChannel);
  const me = useAppSelector((s) => s.auth.user);
  const dispatch = useAppDispatch();
  const [collapsed, setCollapsed] = useState<Record<string, boolean>>({});
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [inviteOpen, setInviteOpen] = useState(false);
  const [notifyFor, setNotifyFor] = useState<Channel | "guild" | null>(null);
  const notifySettings = useAppSelector((s) =>
    settingsFor(s.notificationSettings.byGuild, guildId),
  );
  const now = useMuteClock();

  const channels = useMemo(() => viewable.map((id) => all[id]).filter(Boolean), [viewable, all]);
  const groups = useMemo(() => groupChannels(channels), [channels]);
  const firstText = groups.flatMap((g) => g.channels).find((c) => c.type === 0);
  const current = selected && viewable.includes(selected) ? selected : firstText?.id;
  const guildPermissions = usePermissions(guildId);
  const channelPermissions = usePermissions(guildId, current);
  useEffect(() => {
    if (current && current !== selected) dispatch(channelSelected({ guildId, channelId: current }));
  }, [current, selected, guildId, dispatch]);

  return (
    <Box
      component="aside"
      aria-label="Channels"
      sx={{ width: 240, bgcolor: SIDEBAR_BG, display: "flex", flexDirection: "column" }}
    >
      <Box
        sx={{
          height: 48,
          px: 2,
          display: "flex",
          alignItems: "center",
          borderBottom: "1px solid #1f2023",
        }}
      >
        <Typography sx={{ fontWeight: 700, flex: 1 }} noWrap data-testid="guild-name">
          {guild?.name}
        </Typography>
        <Tooltip title="Notification settings">
          <IconButton
            size="small"
            aria-label="Notification settings"
            onClick={() => setNotifyFor("guild")}
          >
            {muteActive(notifySettings.muted, notifySettings.mute_config, now) ? (
              <NotificationsOffIcon fontSize="small" />
            ) : (
              <NotificationsIcon fontSize="small" />
            )}
          </IconButton>
        </Tooltip>
        {has(channelPermissions, Permission.CREATE_INSTANT_INVITE) && (
          <Tooltip title="Invite people">
            <IconButton size="small" aria-label="Invite people" onClick={() => setInviteOpen(true)}>
              <PersonAddIcon fontSize="small" />
            </IconButton>
          </Tooltip>
        )}
        {(guildPermissions & MANAGES) !== 0n && (
          <Tooltip title="Server settings">
            <IconButton
              size="small"
              aria-label="Server settings"
              onClick={() => setSettingsOpen(true)}
            >
              <SettingsIcon fontSize="small" />
            </IconButton>
          </Tooltip>
        )}
      </Box>
      <Box sx={{ flex: 1, overflowY: "auto", py: 1 }}>
        {groups.map((group) => {
          const key = group.category?.id ?? "none";
          const hidden = collapsed[key];
          return (
            <Box key={key} sx={{ mb: 1 }}>
              {group.category && (
                <ButtonBase
                  onClick={() => setCollapsed({ ...collapsed, [key]: !hidden })}
                  aria-expanded={!hidden}
                  sx={{ px: 1, py: 0.5, width: "100%", justifyContent: "flex-start" }}
                >
                  <ExpandMoreIcon
                    sx={{
                      fontSize: 14,
                      transform: hidden ? "rotate(-90deg)" : "none",
                      transition: "transform 120ms",
                    }}
                  />
                  <Typography
                    variant="caption"
                    sx={{ fontWeight: 700, textTransform: "uppercase" }}
                    color="text.secondary"
                  >
                    {group.category.name}
                  </Typography>
                </ButtonBase>
              )}
              {group.channels
                .filter((c) => !hidden || c.id === current)
                .map((channel) =>
                  channel.type === 2 ? (
                    <VoiceChannelRow key={channel.id} channel={channel} guildId={guildId} />
                  ) : (
                    <TextChannelRow
                      key={channel.id}
                      channel={channel}
                      selected={channel.id === current}
                      unread={isUnread(channel, marks[channel.id])}
                      mentions={marks[channel.id]?.mentions ?? 0}
                      muted={channelMuted(notifySettings, channel.id, now)}
                      onClick={() => dispatch(channelSelected({ guildId, channelId: channel.id }))}
                      onContextMenu={() => setNotifyFor(channel)}
                    />
                  ),
                )}
            </Box>
          );
        })}
      </Box>
      <VoicePanel />
      {me && <UserBar user={me} />}
      <GuildSettingsDialog
        guildId={guildId}
        open={settingsOpen}
        onClose={() => setSettingsOpen(false)}
      />
      <InviteDialog
        channelId={current ?? null}
        open={inviteOpen}
        onClose={() => setInviteOpen(false)}
      />
      <NotificationSettingsDialog
        guildId={guildId}
        channelId={notifyFor && notifyFor !== "guild" ? notifyFor.id : undefined}
        title={
          notifyFor && notifyFor !== "guild"
            ? `Notifications for #${notifyFor.name}`
            : `Notifications for ${guild?.name ?? "this server"}`
        }
        open={notifyFor !== null}
        onClose={() => setNotifyFor(null)}
      />
    </Box>
  );
}

function TextChannelRow({
  channel,
  selected,
  unread,
  mentions,
  muted,
  onClick,
  onContextMenu,
}: {
  channel: Channel;
  selected: boolean;
  unread: boolean;
  mentions: number;
  muted: boolean;
  onClick: () => void;
  /** Right-click: the channel's notification settings. */
  onContextMenu: () => void;
}) {
  return (
    <ButtonBase
      onClick={onClick}
      onContextMenu={(event) => {
        event.preventDefault();
        onContextMenu();
      }}
      aria-current={selected ? "page" : undefined}
      aria-label={`${channel.name}${muted ? " (muted)" : ""}${unread && !selected ? " (unread)" : ""}${mentions ? `, ${mentions} mentions` : ""}`}
      data-testid={`channel-${channel.name}`}
      data-unread={unread && !selected ? "true" : undefined}
      data-muted={muted ? "true" : undefined}
      sx={{
        position: "relative",
        mx: 1,
        px: 1,
        py: 0.5,
        width: "calc(100% - 16px)",
        justifyContent: "flex-start",
        borderRadius: 1,
        gap: 0.75,
        bgcolor: selected ? "rgba(255,255,255,0.08)" : "transparent",
        color: selected || unread ? "text.primary" : "text.secondary",
        opacity: muted && !selected ? 0.45 : 1,
        "&:hover": { bgcolor: "rgba(255,255,255,0.05)" },
      }}
    >
      {unread && !selected && (
        <Box
          aria-hidden
          sx={{
            position: "absolute",
            left: -8,
            width: 8,
            height: 8,
            borderRadius: "0 4px 4px 0",
            bgcolor: "#fff",
          }}
        />
      )}
      <TagIcon fontSize="small" />
      <Typography
        noWrap
        sx={{ flex: 1, textAlign: "left", fontWeight: unread && !selected ? 700 : 400 }}
      >
        {channel.name}
      </Typography>
      {muted && <NotificationsOffIcon sx={{ fontSize: 14 }} aria-hidden />}
      {mentions > 0 && <Badge badgeContent={mentions} color="error" sx={{ mr: 1 }} />}
    </ButtonBase>
  );
}

function VoiceChannelRow({ channel, guildId }: { channel: Channel; guildId: string }) {
  const client = useClient();
  const byGuild = useAppSelector((s) => s.voice.byGuild);
  const speaking = useAppSelector((s) => s.voice.speaking);
  const users = useAppSelector((s) => s.members.users);
  const members = useAppSelector((s) => s.members.byGuild[guildId]);
  const self = useAppSelector((s) => s.voice.self);
  const inside = voiceMembers(byGuild, guildId, channel.id);
  const joined = self.channelId === channel.id;
  return (
    <Box>
      <Tooltip title={joined ? "You are here" : "Join voice"} placement="right">
        <ButtonBase
          onClick={() => !joined && client.joinVoice(guildId, channel.id)}
          data-testid={`voice-${channel.name}`}
          sx={{
            mx: 1,
            px: 1,
            py: 0.5,
            width: "calc(100% - 16px)",
            justifyContent: "flex-start",
            borderRadius: 1,
            gap: 0.75,
            color: joined ? "text.primary" : "text.secondary",
            "&:hover": { bgcolor: "rgba(255,255,255,0.05)" },
          }}
        >
          <VolumeUpIcon fontSize="small" />
          <Typography noWrap sx={{ flex: 1, textAlign: "left" }}>
            {channel.name}
          </Typography>
        </ButtonBase>
      </Tooltip>
      {inside.map((vs) => (
        <Box
          key={vs.user_id}
          data-testid={`voice-member-${vs.user_id}`}
          data-speaking={speaking[vs.user_id] ? "true" : "false"}
          sx={{ display: "flex", alignItems: "center", gap: 1, pl: 5, pr: 1, py: 0.25 }}
        >
          <UserAvatar user={users[vs.user_id]} size={22} speaking={speaking[vs.user_id]} />
          <Typography variant="body2" noWrap sx={{ flex: 1 }} color="text.secondary">
            {displayName(users[vs.user_id], members?.[vs.user_id])}
          </Typography>
          {(vs.self_mute || vs.mute) && (
            <MicOffIcon sx={{ fontSize: 14 }} aria-label="muted" color="disabled" />
          )}
          {(vs.self_deaf || vs.deaf) && (
            <HeadsetOffIcon sx={{ fontSize: 14 }} aria-label="deafened" color="disabled" />
          )}
        </Box>
      ))}
    </Box>
  );
}
