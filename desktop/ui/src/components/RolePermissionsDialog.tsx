import {
  Alert,
  Box,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  Typography,
} from "@mui/material";
import { useState } from "react";
import { errorText } from "../api/http";
import type { Role } from "../api/types";
import { useClient } from "../services/context";
import { ALL, PERMISSION_GROUPS, parseBits } from "../util/permissions";

/** Ticks for a role's permissions. Saving sends the whole bitfield; the server refuses what
 *  the user may not give (a permission they lack, a role at or above their own) in words. */
export default function RolePermissionsDialog({
  guildId,
  role,
  onSaved,
  onClose,
}: {
  guildId: string;
  role: Role;
  onSaved: (role: Role) => void;
  onClose: () => void;
}) {
  const client = useClient();
  // Starts from the role's whole bitfield: bits this editor does not list are kept as they were.
  const [bits, setBits] = useState(() => parseBits(role.permissions));
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const unchanged = bits === parseBits(role.permissions);

  async function save() {
    setSaving(true);
    setError(null);
    try {
      const saved = await client.ep.updateRole(guildId, role.id, {
        permissions: (bits & ALL).toString(),
      });
      onSaved(saved);
      onClose();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>Permissions of {role.name}</DialogTitle>
      <DialogContent>
        {error && (
          <Alert severity="error" sx={{ mb: 1 }}>
            {error}
          </Alert>
        )}
        {PERMISSION_GROUPS.map((group) => (
          <Box key={group.title} sx={{ mb: 1 }}>
            <Typography variant="overline" color="text.secondary">
              {group.title}
            </Typography>
            <Box sx={{ display: "grid", gridTemplateColumns: "1fr 1fr" }}>
              {group.items.map((item) => (
                <FormControlLabel
                  key={item.label}
                  label={item.label}
                  control={
                    <Checkbox
                      size="small"
                      checked={(bits & item.bit) !== 0n}
                      onChange={(e) =>
                        setBits((old) => (e.target.checked ? old | item.bit : old & ~item.bit))
                      }
                    />
                  }
                />
              ))}
            </Box>
          </Box>
        ))}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" disabled={saving || unchanged} onClick={() => void save()}>
          Save
        </Button>
      </DialogActions>
    </Dialog>
  );
}
