import {
  Alert,
  Box,
  Button,
  Checkbox,
  Dialog,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  Radio,
  RadioGroup,
  Stack,
  Typography,
} from "@mui/material";
import { useState } from "react";
import { errorText } from "../api/http";
import type { Snowflake } from "../api/types";
import { useClient } from "../services/context";
import { muteActive, settingsFor } from "../services/notifications";
import { useAppDispatch, useAppSelector } from "../store/index";
import {
  DM_KEY,
  Level,
  notificationSettingsLoaded,
  type GuildNotificationSettings,
  type MuteConfig,
} from "../store/notificationSettings";
import { useMuteClock } from "./useMuteClock";

/** The mute lengths offered, in minutes (null: until turned back on). */
const MUTE_CHOICES: { label: string; minutes: number | null }[] = [
  { label: "Mute for 15 minutes", minutes: 15 },
  { label: "Mute for 1 hour", minutes: 60 },
  { label: "Mute for 8 hours", minutes: 8 * 60 },
  { label: "Mute for 24 hours", minutes: 24 * 60 },
  { label: "Mute until I turn it back on", minutes: null },
];

function muteConfig(minutes: number | null): MuteConfig {
  return {
    end_time: minutes === null ? null : new Date(Date.now() + minutes * 60_000).toISOString(),
  };
}

/** A server's (or the DMs') notification settings; with `channelId`, that channel's own. */
export default function NotificationSettingsDialog({
  guildId,
  channelId,
  title,
  open,
  onClose,
}: {
  /** The server, or null for the DMs. */
  guildId: Snowflake | null;
  channelId?: Snowflake;
  title: string;
  open: boolean;
  onClose: () => void;
}) {
  const client = useClient();
  const dispatch = useAppDispatch();
  const settings = useAppSelector((s) => settingsFor(s.notificationSettings.byGuild, guildId));
  const now = useMuteClock();
  const [error, setError] = useState<string | null>(null);
  const override = channelId
    ? settings.channel_overrides.find((o) => o.channel_id === channelId)
    : undefined;
  const level = channelId
    ? (override?.message_notifications ?? Level.Inherit)
    : settings.message_notifications;
  const muted = channelId
    ? Boolean(override && muteActive(override.muted, override.mute_config, now))
    : muteActive(settings.muted, settings.mute_config, now);
  const muteEnd = (channelId ? override?.mute_config : settings.mute_config)?.end_time;

  async function save(change: {
    message_notifications?: Level;
    muted?: boolean;
    mute_config?: MuteConfig | null;
    suppress_everyone?: boolean;
  }) {
    setError(null);
    const body: Partial<GuildNotificationSettings> = channelId
      ? {
          channel_overrides: [
            {
              channel_id: channelId,
              message_notifications: level,
              muted,
              mute_config: muted ? (override?.mute_config ?? null) : null,
              ...change,
            },
          ],
        }
      : change;
    try {
      const saved = await client.ep.updateNotificationSettings(guildId ?? DM_KEY, body);
      dispatch(notificationSettingsLoaded([saved]));
    } catch (err) {
      setError(errorText(err));
    }
  }

  const levels: { value: Level; label: string }[] = [
    ...(channelId ? [{ value: Level.Inherit, label: "Use the server's setting" }] : []),
    { value: Level.All, label: "All messages" },
    { value: Level.Mentions, label: "Only @mentions" },
    { value: Level.Nothing, label: "Nothing" },
  ];
  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>{title}</DialogTitle>
      <DialogContent>
        <Stack spacing={2}>
          {error && <Alert severity="error">{error}</Alert>}
          {guildId !== null && (
            <Box>
              <Typography variant="subtitle2">Notify me of</Typography>
              <RadioGroup
                aria-label="Notify me of"
                value={String(level)}
                onChange={(e) =>
                  void save({ message_notifications: Number(e.target.value) as Level })
                }
              >
                {levels.map((l) => (
                  <FormControlLabel
                    key={l.value}
                    value={String(l.value)}
                    control={<Radio size="small" />}
                    label={l.label}
                  />
                ))}
              </RadioGroup>
            </Box>
          )}
          {guildId !== null && !channelId && (
            <FormControlLabel
              control={
                <Checkbox
                  checked={settings.suppress_everyone}
                  onChange={(e) => void save({ suppress_everyone: e.target.checked })}
                />
              }
              label="Suppress @everyone and @here"
            />
          )}
          <Box>
            <Typography variant="subtitle2">Mute</Typography>
            {muted ? (
              <Stack spacing={1} sx={{ alignItems: "flex-start" }}>
                <Typography variant="body2" data-testid="muted-until">
                  {muteEnd
                    ? `Muted until ${new Date(muteEnd).toLocaleString()}`
                    : "Muted until you turn it back on"}
                </Typography>
                <Button
                  variant="outlined"
                  onClick={() => void save({ muted: false, mute_config: null })}
                >
                  Unmute
                </Button>
              </Stack>
            ) : (
              <Stack direction="row" sx={{ flexWrap: "wrap", gap: 1 }}>
                {MUTE_CHOICES.map((choice) => (
                  <Button
                    key={choice.label}
                    size="small"
                    variant="outlined"
                    onClick={() =>
                      void save({ muted: true, mute_config: muteConfig(choice.minutes) })
                    }
                  >
                    {choice.label}
                  </Button>
                ))}
              </Stack>
            )}
          </Box>
        </Stack>
      </DialogContent>
      <Box sx={{ p: 2, display: "flex", justifyContent: "flex-end" }}>
        <Button onClick={onClose}>Close</Button>
      </Box>
    </Dialog>
  );
}
