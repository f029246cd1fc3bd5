import AddIcon from "@mui/icons-material/Add";
import ForumIcon from "@mui/icons-material/Forum";
import {
  Alert,
  Badge,
  Box,
  Button,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Divider,
  IconButton,
  Stack,
  Tab,
  Tabs,
  TextField,
  Tooltip,
} from "@mui/material";
import { motion } from "framer-motion";
import { useState, type FormEvent } from "react";
import { errorText } from "../api/http";
import { useClient } from "../services/context";
import { guildLoaded } from "../store/actions";
import { guildSelected } from "../store/guilds";
import { useAppDispatch, useAppSelector } from "../store/index";
import { selectDmUnreadTotal } from "../store/dms";
import { isUnread } from "../store/readState";
import { RAIL_BG } from "../theme";
import { inviteCode } from "../util/text";
import { colorFor } from "../util/format";

function initials(name: string): string {
  return (
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 3)
      .map((w) => w[0]?.toUpperCase())
      .join("") || "?"
  );
}

/** A round rail button that squares off when selected or hovered. */
function railButton(selected: boolean, background: string) {
  return {
    width: 48,
    height: 48,
    border: 0,
    cursor: "pointer",
    color: "#fff",
    borderRadius: selected ? "16px" : "50%",
    bgcolor: selected ? "primary.main" : background,
    transition: "border-radius 150ms, background-color 150ms",
    "&:hover": { borderRadius: "16px" },
  };
}

export default function GuildRail() {
  const guilds = useAppSelector((s) => s.guilds);
  const channels = useAppSelector((s) => s.channels.byId);
  const marks = useAppSelector((s) => s.readState.byChannel);
  const dmUnread = useAppSelector(selectDmUnreadTotal);
  const dispatch = useAppDispatch();
  // An invite link (`/?invite=CODE`) opens the join dialog with the code filled in.
  const [linkCode] = useState(() => new URLSearchParams(window.location.search).get("invite"));
  const [open, setOpen] = useState(linkCode !== null);

  const unreadGuilds = new Set<string>();
  const mentionCount: Record<string, number> = {};
  for (const channel of Object.values(channels)) {
    if (!channel.guild_id || channel.type === 2) continue;
    if (isUnread(channel, marks[channel.id])) unreadGuilds.add(channel.guild_id);
    mentionCount[channel.guild_id] =
      (mentionCount[channel.guild_id] ?? 0) + (marks[channel.id]?.mentions ?? 0);
  }

  return (
    <Box
      component="nav"
      aria-label="Servers"
      sx={{
        width: 72,
        bgcolor: RAIL_BG,
        display: "flex",
        flexDirection: "column",
        alignItems: "center",
        py: 1.5,
        gap: 1,
        overflowY: "auto",
      }}
    >
      <Tooltip title="Home: Direct Messages" placement="right">
        <Badge badgeContent={dmUnread} color="error" overlap="circular">
          <Box
            component="button"
            aria-label="Home"
            aria-current={guilds.selected === null ? "true" : undefined}
            data-unread={dmUnread || undefined}
            onClick={() => dispatch(guildSelected(null))}
            sx={{
              ...railButton(guilds.selected === null, "#313338"),
              display: "grid",
              placeItems: "center",
            }}
          >
            <ForumIcon />
          </Box>
        </Badge>
      </Tooltip>
      <Divider flexItem sx={{ mx: 2 }} />
      {guilds.order.map((id) => {
        const guild = guilds.byId[id];
        const selected = guilds.selected === id;
        return (
          <Box key={id} sx={{ position: "relative", width: "100%", display: "flex" }}>
            <motion.div
              initial={false}
              animate={{ height: selected ? 40 : unreadGuilds.has(id) ? 8 : 0 }}
              style={{
                position: "absolute",
                left: 0,
                top: "50%",
                translateY: "-50%",
                width: 4,
                borderRadius: "0 4px 4px 0",
                background: "#fff",
              }}
            />
            <Tooltip title={guild.name} placement="right">
              <Badge
                badgeContent={mentionCount[id] || 0}
                color="error"
                overlap="circular"
                sx={{ mx: "auto" }}
              >
                <Box
                  component="button"
                  aria-label={guild.name}
                  aria-current={selected ? "true" : undefined}
                  data-unread={unreadGuilds.has(id) ? "true" : undefined}
                  onClick={() => dispatch(guildSelected(id))}
                  sx={{ ...railButton(selected, colorFor(id)), fontWeight: 600 }}
                >
                  {initials(guild.name)}
                </Box>
              </Badge>
            </Tooltip>
          </Box>
        );
      })}
      <Divider flexItem sx={{ mx: 2 }} />
      <Tooltip title="Create or join a server" placement="right">
        <IconButton
          aria-label="Create or join a server"
          onClick={() => setOpen(true)}
          sx={{ bgcolor: "#313338", color: "secondary.main", width: 48, height: 48 }}
        >
          <AddIcon />
        </IconButton>
      </Tooltip>
      <AddGuildDialog
        open={open}
        initialCode={linkCode}
        onClose={() => setOpen(false)}
        onDone={(id) => {
          setOpen(false);
          dispatch(guildSelected(id));
        }}
      />
    </Box>
  );
}

function AddGuildDialog({
  open,
  initialCode,
  onClose,
  onDone,
}: {
  open: boolean;
  initialCode: string | null;
  onClose: () => void;
  onDone: (guildId: string) => void;
}) {
  const client = useClient();
  const dispatch = useAppDispatch();
  const [tab, setTab] = useState<"create" | "join">(initialCode ? "join" : "create");
  const [value, setValue] = useState(initialCode ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const guild =
        tab === "create"
          ? await client.ep.createGuild(value.trim())
          : await client.ep.joinInvite(inviteCode(value));
      // The live session hears the guild from here on: its GUILD_CREATE follows (protocol.md).
      dispatch(guildLoaded(guild));
      setValue("");
      const url = new URL(window.location.href);
      if (url.searchParams.has("invite")) {
        url.searchParams.delete("invite");
        window.history.replaceState(null, "", url.toString());
      }
      onDone(guild.id);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit}>
        <DialogTitle>Add a server</DialogTitle>
        <DialogContent>
          <Tabs
            value={tab}
            onChange={(_, v: "create" | "join") => {
              setTab(v);
              setError(null);
            }}
            variant="fullWidth"
          >
            <Tab value="create" label="Create" />
            <Tab value="join" label="Join with an invite" />
          </Tabs>
          <Stack spacing={2} sx={{ mt: 2 }}>
            {error && <Alert severity="error">{error}</Alert>}
            <TextField
              autoFocus
              label={tab === "create" ? "Server name" : "Invite code or link"}
              value={value}
              onChange={(e) => setValue(e.target.value)}
              slotProps={{ htmlInput: { "data-testid": "add-guild-input" } }}
            />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            type="submit"
            variant="contained"
            disabled={busy || !value.trim()}
            startIcon={busy ? <CircularProgress size={16} /> : undefined}
          >
            {tab === "create" ? "Create" : "Join"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
