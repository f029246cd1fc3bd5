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
import { saveServerConfig } from "../config";
import { useClient } from "../services/context";

/** Which server this client talks to: the HTTP API origin and, optionally, the gateway URL. */
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

  function save() {
    try {
      const url = new URL(server);
      if (gateway) new URL(gateway);
      const config = { server: url.origin, gateway: gateway || null };
      saveServerConfig(config);
      client.setConfig(config);
      onClose();
    } catch {
      setError("Enter full URLs, e.g. http://127.0.0.1:3000 and ws://127.0.0.1:3001/.");
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
        <Button variant="contained" onClick={save}>
          Save
        </Button>
      </DialogActions>
    </Dialog>
  );
}
