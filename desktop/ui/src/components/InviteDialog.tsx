import ContentCopyIcon from "@mui/icons-material/ContentCopy";
import {
  Alert,
  Button,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  IconButton,
  MenuItem,
  Stack,
  TextField,
  Tooltip,
} from "@mui/material";
import { useState } from "react";
import { errorText } from "../api/http";
import type { Invite } from "../api/types";
import { useClient } from "../services/context";
import { inviteLink } from "../util/text";

const AGES = [
  { label: "30 minutes", value: 1800 },
  { label: "1 day", value: 86400 },
  { label: "7 days", value: 604800 },
  { label: "Never", value: 0 },
];
const USES = [0, 1, 5, 10, 100];

export default function InviteDialog({
  channelId,
  open,
  onClose,
}: {
  channelId: string | null;
  open: boolean;
  onClose: () => void;
}) {
  const client = useClient();
  const [maxAge, setMaxAge] = useState(86400);
  const [maxUses, setMaxUses] = useState(0);
  const [invite, setInvite] = useState<Invite | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function create() {
    if (!channelId) return;
    setBusy(true);
    setError(null);
    try {
      setInvite(await client.ep.createInvite(channelId, { max_age: maxAge, max_uses: maxUses }));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>Invite people</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          {!channelId && <Alert severity="info">Open a channel first.</Alert>}
          {error && <Alert severity="error">{error}</Alert>}
          <TextField
            select
            label="Expires after"
            value={maxAge}
            onChange={(e) => setMaxAge(Number(e.target.value))}
          >
            {AGES.map((a) => (
              <MenuItem key={a.value} value={a.value}>
                {a.label}
              </MenuItem>
            ))}
          </TextField>
          <TextField
            select
            label="Max uses"
            value={maxUses}
            onChange={(e) => setMaxUses(Number(e.target.value))}
          >
            {USES.map((u) => (
              <MenuItem key={u} value={u}>
                {u === 0 ? "No limit" : `${u} use${u > 1 ? "s" : ""}`}
              </MenuItem>
            ))}
          </TextField>
          {invite && (
            <TextField
              label="Invite code"
              value={invite.code}
              slotProps={{
                htmlInput: { readOnly: true, "data-testid": "invite-code" },
                input: {
                  endAdornment: (
                    <Tooltip title="Copy link">
                      <IconButton
                        aria-label="Copy invite link"
                        onClick={() =>
                          navigator.clipboard
                            ?.writeText(inviteLink(invite.code))
                            .catch((e) => client.notify(e, "Could not copy"))
                        }
                      >
                        <ContentCopyIcon />
                      </IconButton>
                    </Tooltip>
                  ),
                },
              }}
            />
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
        <Button
          variant="contained"
          onClick={() => void create()}
          disabled={busy || !channelId}
          startIcon={busy ? <CircularProgress size={16} /> : undefined}
        >
          {invite ? "Create another" : "Create invite"}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
