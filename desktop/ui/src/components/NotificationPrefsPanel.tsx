import { Alert, Button, FormControlLabel, Stack, Switch, Typography } from "@mui/material";
import { useState } from "react";
import { useClient } from "../services/context";
import {
  notificationPermission,
  playChime,
  requestNotificationPermission,
} from "../services/notifications";
import { useAppDispatch, useAppSelector } from "../store/index";
import { notificationPrefsChanged } from "../store/notificationSettings";

/** This device's notification switches (desktop notifications, sound) and the browser's
 * permission, asked for from a click. */
export default function NotificationPrefsPanel() {
  const client = useClient();
  const dispatch = useAppDispatch();
  const prefs = useAppSelector((s) => s.notificationSettings.prefs);
  const [permission, setPermission] = useState(notificationPermission);
  const needsPermission = !client.inShell && prefs.desktop && permission === "default";
  async function ask() {
    setPermission(await requestNotificationPermission());
  }
  return (
    <Stack spacing={2}>
      <FormControlLabel
        control={
          <Switch
            checked={prefs.desktop}
            onChange={(e) => {
              dispatch(notificationPrefsChanged({ desktop: e.target.checked }));
              if (e.target.checked && !client.inShell) void ask();
            }}
          />
        }
        label="Desktop notifications"
      />
      <FormControlLabel
        control={
          <Switch
            checked={prefs.sound}
            onChange={(e) => {
              dispatch(notificationPrefsChanged({ sound: e.target.checked }));
              if (e.target.checked) playChime();
            }}
          />
        }
        label="Notification sound"
      />
      {needsPermission && (
        <Alert
          severity="info"
          action={
            <Button color="inherit" size="small" onClick={() => void ask()}>
              Allow
            </Button>
          }
        >
          Your browser needs your permission to show notifications.
        </Alert>
      )}
      {!client.inShell && permission === "denied" && (
        <Alert severity="warning">
          Your browser blocks notifications from this site; allow them in its site settings.
        </Alert>
      )}
      <Typography variant="caption" color="text.secondary">
        By default you are notified of mentions and direct messages. Choose per server or channel in
        its notification settings (the bell in the channel list, or right-click a channel).
      </Typography>
    </Stack>
  );
}
