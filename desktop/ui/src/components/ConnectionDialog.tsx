import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Stack,
  TextField,
} from "@mui/material";
import { useState } from "react";
import { originOf } from "../config";
import { useClient } from "../services/context";
import { shell } from "../services/shell";

/** Which server the desktop shell talks to: the HTTP API origin and, optionally, the gateway
 * URL. The shell asks the user to confirm in a native dialog, then opens the new server (each
 * server keeps its own session); nothing changes here until then. Offered in the shell only. */
export default function ConnectionDialog({
  open,
  onClose,
}: {
  open: boolean;
  onClose: () => void;
}) {
  const client = useClient();
  const [server, setServer] = useState(client.config.server);
  const [gateway, setGateway] = useState(client.config.gateway ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function save() {
    const origin = originOf(server);
    let gatewayOk = true;
    try {
      if (gateway) new URL(gateway);
    } catch {
      gatewayOk = false;
    }
    if (!origin || !gatewayOk) {
      setError("Enter full URLs, e.g. http://127.0.0.1:3000 and ws://127.0.0.1:3001/.");
      return;
    }
    const choose = shell()?.choose_server;
    if (!choose) {
      setError("Only the desktop app can change the server.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      // The shell reloads the window on the new server once the user confirms.
      if (!(await choose(origin, gateway || null))) setError("Not changed: it was not confirmed.");
    } catch {
      setError("The desktop app did not answer.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>Connection</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          {error && <Alert severity="error">{error}</Alert>}
          <TextField
            label="Server (HTTP API origin)"
            value={server}
            onChange={(e) => setServer(e.target.value)}
            helperText="The REST API is under /api/v1 on this origin."
            slotProps={{ htmlInput: { "data-testid": "connection-server" } }}
          />
          <TextField
            label="Gateway URL (optional)"
            value={gateway}
            onChange={(e) => setGateway(e.target.value)}
            helperText="Empty: ask the server (GET /api/v1/gateway), else the HTTP port + 1."
          />
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={() => void save()} disabled={busy}>
          Connect
        </Button>
      </DialogActions>
    </Dialog>
  );
}
