import CallEndIcon from "@mui/icons-material/CallEnd";
import ReplayIcon from "@mui/icons-material/Replay";
import SignalCellularAltIcon from "@mui/icons-material/SignalCellularAlt";
import { Box, IconButton, Tooltip, Typography } from "@mui/material";
import { AnimatePresence, motion } from "framer-motion";
import { useClient } from "../services/context";
import { useAppSelector } from "../store/index";

const CONNECTION_TEXT = {
  disconnected: "Disconnected",
  requested: "Joining…",
  connecting: "Connecting…",
  connected: "Voice connected",
  failed: "Voice failed",
} as const;

/** Shown while we are in (or joining) a voice channel: where, how it goes, and Leave. */
export default function VoicePanel() {
  const client = useClient();
  const self = useAppSelector((s) => s.voice.self);
  const channel = useAppSelector((s) => (self.channelId ? s.channels.byId[self.channelId] : null));
  const guild = useAppSelector((s) => (self.guildId ? s.guilds.byId[self.guildId] : null));
  const color =
    self.connection === "connected"
      ? "#23a55a"
      : self.connection === "failed"
        ? "#f23f43"
        : "#f0b232";
  return (
    <AnimatePresence>
      {self.channelId && (
        <motion.div
          initial={{ height: 0, opacity: 0 }}
          animate={{ height: "auto", opacity: 1 }}
          exit={{ height: 0, opacity: 0 }}
        >
          <Box
            role="region"
            aria-label="Voice connection"
            sx={{
              px: 1.5,
              py: 1,
              borderTop: "1px solid #1f2023",
              display: "flex",
              alignItems: "center",
              bgcolor: "#232428",
            }}
          >
            <SignalCellularAltIcon sx={{ color, mr: 1 }} fontSize="small" />
            <Box sx={{ flex: 1, minWidth: 0 }}>
              <Typography
                variant="body2"
                sx={{ color, fontWeight: 700 }}
                data-testid="voice-status"
              >
                {CONNECTION_TEXT[self.connection]}
              </Typography>
              <Typography variant="caption" color="text.secondary" noWrap component="div">
                {self.error ?? `${channel?.name ?? "voice"} / ${guild?.name ?? ""}`}
              </Typography>
            </Box>
            {(self.connection === "failed" || self.connection === "disconnected") && (
              // Failed, or in the channel with no media (after a reload): a way back in.
              <Tooltip title="Retry">
                <IconButton aria-label="Retry" onClick={() => client.retryVoice()}>
                  <ReplayIcon />
                </IconButton>
              </Tooltip>
            )}
            <Tooltip title="Leave voice">
              <IconButton aria-label="Leave voice" onClick={() => client.leaveVoice()}>
                <CallEndIcon />
              </IconButton>
            </Tooltip>
          </Box>
        </motion.div>
      )}
    </AnimatePresence>
  );
}
