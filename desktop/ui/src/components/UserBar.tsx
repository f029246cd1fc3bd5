import HeadsetIcon from "@mui/icons-material/Headset";
import HeadsetOffIcon from "@mui/icons-material/HeadsetOff";
import MicIcon from "@mui/icons-material/Mic";
import MicOffIcon from "@mui/icons-material/MicOff";
import SettingsIcon from "@mui/icons-material/Settings";
import { Box, IconButton, Tooltip, Typography } from "@mui/material";
import { useState } from "react";
import type { User } from "../api/types";
import { useClient } from "../services/context";
import { useAppSelector } from "../store/index";
import { UserAvatar } from "./common";
import UserSettingsDialog from "./UserSettingsDialog";

export default function UserBar({ user }: { user: User }) {
  const client = useClient();
  const status = useAppSelector((s) => s.members.presence[user.id] ?? "online");
  const { selfMute, selfDeaf } = useAppSelector((s) => s.voice.self);
  const speaking = useAppSelector((s) => s.voice.speaking[user.id]);
  const [open, setOpen] = useState(false);
  return (
    <Box
      data-testid="user-bar"
      sx={{ display: "flex", alignItems: "center", gap: 1, px: 1, py: 0.75, bgcolor: "#232428" }}
    >
      <UserAvatar user={user} size={32} status={status} speaking={speaking} />
      <Box sx={{ flex: 1, minWidth: 0 }}>
        <Typography variant="body2" sx={{ fontWeight: 700 }} noWrap data-testid="me-name">
          {user.global_name || user.username}
        </Typography>
        <Typography variant="caption" color="text.secondary" noWrap component="div">
          {status}
        </Typography>
      </Box>
      <Tooltip title={selfMute ? "Unmute" : "Mute"}>
        <IconButton
          size="small"
          aria-label={selfMute ? "Unmute" : "Mute"}
          aria-pressed={selfMute}
          onClick={() => client.setMute(!selfMute)}
        >
          {selfMute ? <MicOffIcon fontSize="small" color="error" /> : <MicIcon fontSize="small" />}
        </IconButton>
      </Tooltip>
      <Tooltip title={selfDeaf ? "Undeafen" : "Deafen"}>
        <IconButton
          size="small"
          aria-label={selfDeaf ? "Undeafen" : "Deafen"}
          aria-pressed={selfDeaf}
          onClick={() => client.setDeaf(!selfDeaf)}
        >
          {selfDeaf ? (
            <HeadsetOffIcon fontSize="small" color="error" />
          ) : (
            <HeadsetIcon fontSize="small" />
          )}
        </IconButton>
      </Tooltip>
      <Tooltip title="User settings">
        <IconButton size="small" aria-label="User settings" onClick={() => setOpen(true)}>
          <SettingsIcon fontSize="small" />
        </IconButton>
      </Tooltip>
      <UserSettingsDialog open={open} onClose={() => setOpen(false)} />
    </Box>
  );
}
