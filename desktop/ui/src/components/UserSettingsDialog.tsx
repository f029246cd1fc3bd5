import LogoutIcon from "@mui/icons-material/Logout";
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogContent,
  DialogTitle,
  MenuItem,
  Stack,
  Tab,
  Tabs,
  TextField,
  Typography,
} from "@mui/material";
import { useEffect, useState } from "react";
import { ApiError, errorText } from "../api/http";
import { useClient } from "../services/context";
import { userUpdated } from "../store/auth";
import { useAppDispatch, useAppSelector } from "../store/index";
import { inputDeviceChosen } from "../store/voice";
import ConnectionDialog from "./ConnectionDialog";
import NotificationPrefsPanel from "./NotificationPrefsPanel";

type TabName = "account" | "status" | "voice" | "notifications" | "connection";

export default function UserSettingsDialog({
  open,
  onClose,
}: {
  open: boolean;
  onClose: () => void;
}) {
  const [tab, setTab] = useState<TabName>("account");
  const client = useClient();
  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>User settings</DialogTitle>
      <DialogContent sx={{ display: "flex", gap: 2, minHeight: 320 }}>
        <Tabs
          orientation="vertical"
          value={tab}
          onChange={(_, v: TabName) => setTab(v)}
          sx={{ borderRight: 1, borderColor: "divider", minWidth: 140 }}
        >
          <Tab value="account" label="My account" />
          <Tab value="status" label="Status" />
          <Tab value="voice" label="Voice & audio" />
          <Tab value="notifications" label="Notifications" />
          <Tab value="connection" label="Connection" />
        </Tabs>
        <Box sx={{ flex: 1 }}>
          {tab === "account" && <Account />}
          {tab === "status" && <Status />}
          {tab === "voice" && <Voice />}
          {tab === "notifications" && <NotificationPrefsPanel />}
          {tab === "connection" && (
            <Stack spacing={2}>
              <Typography>Server: {client.config.server}</Typography>
              {client.inShell ? (
                <ConnectionSettingsButton />
              ) : (
                <Typography variant="caption" color="text.secondary">
                  In a browser, Parley talks only to the server the page came from.
                </Typography>
              )}
            </Stack>
          )}
        </Box>
      </DialogContent>
      <Box sx={{ p: 2, display: "flex", justifyContent: "space-between" }}>
        <Box sx={{ display: "flex", gap: 1 }}>
          <Button color="error" startIcon={<LogoutIcon />} onClick={() => void client.logout()}>
            Sign out
          </Button>
          <Button
            color="error"
            onClick={() =>
              client
                .logoutEverywhere()
                .catch((error: unknown) => client.notify(error, "Could not log out everywhere"))
            }
          >
            Log out everywhere
          </Button>
        </Box>
        <Button onClick={onClose}>Close</Button>
      </Box>
    </Dialog>
  );
}

function ConnectionSettingsButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Box>
        <Button variant="outlined" onClick={() => setOpen(true)}>
          Change server…
        </Button>
      </Box>
      <Typography variant="caption" color="text.secondary">
        The desktop app asks you to confirm, then opens the new server; each server keeps its own
        sign-in.
      </Typography>
      <ConnectionDialog open={open} onClose={() => setOpen(false)} />
    </>
  );
}

function Account() {
  const client = useClient();
  const dispatch = useAppDispatch();
  const user = useAppSelector((s) => s.auth.user);
  const [username, setUsername] = useState(user?.username ?? "");
  const [globalName, setGlobalName] = useState(user?.global_name ?? "");
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  async function save() {
    setError(null);
    setSaved(false);
    try {
      const body: Record<string, string> = {};
      if (username !== user?.username) body.username = username;
      if (globalName !== (user?.global_name ?? "")) body.global_name = globalName;
      dispatch(userUpdated(await client.ep.updateMe(body)));
      setSaved(true);
    } catch (err) {
      setError(errorText(err));
    }
  }
  return (
    <Stack spacing={2}>
      {error && <Alert severity="error">{error}</Alert>}
      {saved && <Alert severity="success">Saved.</Alert>}
      <TextField label="Username" value={username} onChange={(e) => setUsername(e.target.value)} />
      <TextField
        label="Display name"
        value={globalName}
        onChange={(e) => setGlobalName(e.target.value)}
      />
      <Typography variant="caption" color="text.secondary">
        User id: {user?.id}
      </Typography>
      <Box>
        <Button variant="contained" onClick={() => void save()}>
          Save
        </Button>
      </Box>
      <ChangePassword />
    </Stack>
  );
}

function PasswordField(props: {
  label: string;
  name: "password" | "new_password";
  value: string;
  onChange: (value: string) => void;
  error?: string;
  hint?: string;
}) {
  return (
    <TextField
      label={props.label}
      type="password"
      autoComplete={props.name === "password" ? "current-password" : "new-password"}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value)}
      error={Boolean(props.error)}
      helperText={props.error ?? props.hint}
    />
  );
}

/** The current password and a new one; on success every login ends, this one too. */
function ChangePassword() {
  const client = useClient();
  const [password, setPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, unknown>>({});
  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setError(null);
    setFields({});
    try {
      await client.changePassword(password, newPassword);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : errorText(err));
      if (err instanceof ApiError && err.errors) setFields(err.errors);
    }
  }
  const fieldError = (name: string) => (fields[name] ? String(fields[name]) : undefined);
  return (
    <Stack spacing={2} component="form" onSubmit={(e) => void submit(e)} noValidate>
      <Typography variant="subtitle2">Change password</Typography>
      {error && <Alert severity="error">{error}</Alert>}
      <PasswordField
        label="Current password"
        name="password"
        value={password}
        onChange={setPassword}
        error={fieldError("password")}
      />
      <PasswordField
        label="New password"
        name="new_password"
        value={newPassword}
        onChange={setNewPassword}
        error={fieldError("new_password")}
        hint="At least 12 characters. Every device is signed out; sign in again with the new password."
      />
      <Box>
        <Button type="submit" variant="outlined" disabled={!password || !newPassword}>
          Change password
        </Button>
      </Box>
    </Stack>
  );
}

function Status() {
  const client = useClient();
  const me = useAppSelector((s) => s.auth.user);
  const status = useAppSelector((s) => (me ? s.members.presence[me.id] : undefined) ?? "online");
  return (
    <TextField
      select
      label="Status"
      value={status === "offline" ? "invisible" : status}
      onChange={(e) => client.setPresence(e.target.value)}
      fullWidth
    >
      <MenuItem value="online">Online</MenuItem>
      <MenuItem value="idle">Idle</MenuItem>
      <MenuItem value="dnd">Do not disturb</MenuItem>
      <MenuItem value="invisible">Invisible</MenuItem>
    </TextField>
  );
}

function Voice() {
  const client = useClient();
  const dispatch = useAppDispatch();
  const deviceId = useAppSelector((s) => s.voice.inputDeviceId);
  const [devices, setDevices] = useState<MediaDeviceInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Browsers hide media devices from insecure origins (plain http other than localhost).
  const unsupported = !navigator.mediaDevices?.enumerateDevices;

  useEffect(() => {
    let cancelled = false;
    if (!navigator.mediaDevices?.enumerateDevices) return;
    navigator.mediaDevices
      .enumerateDevices()
      .then((all) => !cancelled && setDevices(all.filter((d) => d.kind === "audioinput")))
      .catch((err) => !cancelled && setError(errorText(err)));
    return () => {
      cancelled = true;
    };
  }, []);

  return (
    <Stack spacing={2}>
      {unsupported && (
        <Alert severity="error">
          This browser offers no audio devices here (it needs a secure origin: https or localhost).
        </Alert>
      )}
      {error && <Alert severity="error">{error}</Alert>}
      <TextField
        select
        label="Input device"
        value={deviceId ?? ""}
        onChange={(e) => {
          dispatch(inputDeviceChosen(e.target.value || null));
          client.restartVoiceInput();
        }}
        fullWidth
        helperText={
          devices && devices.some((d) => !d.label)
            ? "Device names appear once Parley may use the microphone (join a voice channel)."
            : undefined
        }
      >
        <MenuItem value="">Default</MenuItem>
        {(devices ?? []).map((d, i) => (
          <MenuItem key={d.deviceId || i} value={d.deviceId}>
            {d.label || `Microphone ${i + 1}`}
          </MenuItem>
        ))}
      </TextField>
    </Stack>
  );
}
