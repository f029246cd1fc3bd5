import AddIcon from "@mui/icons-material/Add";
import AlternateEmailIcon from "@mui/icons-material/AlternateEmail";
import GroupIcon from "@mui/icons-material/Group";
import NotificationsIcon from "@mui/icons-material/Notifications";
import NotificationsOffIcon from "@mui/icons-material/NotificationsOff";
import {
  Alert,
  Badge,
  Box,
  Button,
  Checkbox,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  IconButton,
  Stack,
  TextField,
  Tooltip,
  Typography,
} from "@mui/material";
import { shallowEqual } from "react-redux";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { errorText } from "../api/http";
import type { Channel, Snowflake, User } from "../api/types";
import { useClient } from "../services/context";
import { channelMuted, settingsFor } from "../services/notifications";
import { byLastActivity, dmLeft, dmName, dmOpened, dmSelected, dmsLoaded } from "../store/channels";
import { selectDmUnread } from "../store/dms";
import { useAppDispatch, useAppSelector } from "../store/index";
import { displayName, membersLoaded } from "../store/members";
import { PANE_BG, SIDEBAR_BG } from "../theme";
import { UserAvatar } from "./common";
import MessagePane from "./MessagePane";
import NotificationSettingsDialog from "./NotificationSettingsDialog";
import { useMuteClock } from "./useMuteClock";
import UserBar from "./UserBar";

/** Participants of a group DM, the user included (the server's limit). */
export const MAX_GROUP = 10;

function nameOf(user: User): string {
  return displayName(user);
}

/** A dialog form's submit: busy while ``action`` runs, its failure in words. */
function useSubmit(action: () => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, setError, submit };
}

/** Home: the user's DMs and group DMs, newest activity first, and the one open. ``idle`` is
 *  what the pane says while none is open (a user in no server is told how to join one). */
export default function HomeView({ idle }: { idle?: string }) {
  const dispatch = useAppDispatch();
  const me = useAppSelector((s) => s.auth.user);
  const dms = useAppSelector((s) => s.channels.dms);
  const selected = useAppSelector((s) => s.channels.dmSelected);
  const unread = useAppSelector(selectDmUnread, shallowEqual);
  const [creating, setCreating] = useState(false);
  const list = useMemo(() => Object.values(dms).sort(byLastActivity), [dms]);
  const open = selected ? dms[selected] : undefined;

  return (
    <>
      <Box
        component="aside"
        aria-label="Direct Messages"
        sx={{ width: 240, bgcolor: SIDEBAR_BG, display: "flex", flexDirection: "column" }}
      >
        <Box
          sx={{
            height: 48,
            px: 2,
            display: "flex",
            alignItems: "center",
            borderBottom: "1px solid #1f2023",
          }}
        >
          <Typography sx={{ fontWeight: 700, flex: 1 }}>Direct Messages</Typography>
          <Tooltip title="New group DM">
            <IconButton size="small" aria-label="New group DM" onClick={() => setCreating(true)}>
              <AddIcon fontSize="small" />
            </IconButton>
          </Tooltip>
        </Box>
        <Box sx={{ flex: 1, overflowY: "auto", p: 1 }} role="list" aria-label="Your DMs">
          {list.length === 0 && (
            <Typography variant="body2" color="text.secondary" sx={{ p: 1 }}>
              No direct messages yet. Pick “Message” on a member of a server to start one.
            </Typography>
          )}
          {list.map((dm) => {
            const name = dmName(dm, nameOf);
            const count = unread[dm.id] ?? 0;
            const active = dm.id === selected;
            return (
              <Box
                key={dm.id}
                role="listitem"
                component="button"
                aria-label={name}
                aria-current={active ? "true" : undefined}
                data-testid={`dm-${dm.id}`}
                data-unread={count || undefined}
                onClick={() => dispatch(dmSelected(dm.id))}
                sx={{
                  width: "100%",
                  display: "flex",
                  alignItems: "center",
                  gap: 1.5,
                  px: 1,
                  py: 0.75,
                  border: 0,
                  borderRadius: 1,
                  cursor: "pointer",
                  textAlign: "left",
                  color: count || active ? "text.primary" : "text.secondary",
                  fontWeight: count ? 700 : 400,
                  bgcolor: active ? "rgba(255,255,255,0.08)" : "transparent",
                  "&:hover": { bgcolor: "rgba(255,255,255,0.05)" },
                }}
              >
                {dm.type === 3 ? (
                  <Box
                    sx={{
                      width: 32,
                      height: 32,
                      borderRadius: "50%",
                      bgcolor: "primary.main",
                      display: "grid",
                      placeItems: "center",
                      flexShrink: 0,
                    }}
                  >
                    <GroupIcon fontSize="small" />
                  </Box>
                ) : (
                  <UserAvatar user={dm.recipients?.[0]} size={32} />
                )}
                <Typography noWrap sx={{ flex: 1, fontWeight: "inherit" }}>
                  {name}
                </Typography>
                {count > 0 && (
                  <Badge
                    badgeContent={count}
                    color="error"
                    data-testid="dm-unread"
                    sx={{ mr: 1.5 }}
                  />
                )}
              </Box>
            );
          })}
        </Box>
        {me && <UserBar user={me} />}
      </Box>
      <Box sx={{ flex: 1, minWidth: 0, bgcolor: PANE_BG, display: "flex" }}>
        {open ? (
          <MessagePane
            key={open.id}
            channel={{ ...open, name: dmName(open, nameOf) }}
            title={open.type === 3 ? dmName(open, nameOf) : `@${dmName(open, nameOf)}`}
            header={<DmHeader dm={open} />}
          />
        ) : (
          <Box sx={{ m: "auto", color: "text.secondary", maxWidth: 420, textAlign: "center" }}>
            <Typography>
              {idle ?? "Pick a conversation on the left, or start a new group DM."}
            </Typography>
          </Box>
        )}
      </Box>
      <NewGroupDialog open={creating} onClose={() => setCreating(false)} />
    </>
  );
}

/** The open DM's title; a group's members, and its rename and leave actions. */
function DmHeader({ dm }: { dm: Channel }) {
  const client = useClient();
  const dispatch = useAppDispatch();
  const [renaming, setRenaming] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const [notifying, setNotifying] = useState(false);
  const settings = useAppSelector((s) => settingsFor(s.notificationSettings.byGuild, null));
  const now = useMuteClock();
  const muted = channelMuted(settings, dm.id, now);
  const name = dmName(dm, nameOf);
  const group = dm.type === 3;

  async function leave() {
    try {
      await client.ep.deleteChannel(dm.id);
      dispatch(dmLeft(dm.id));
    } catch (error) {
      client.notify(error, "Could not leave the group");
    } finally {
      setLeaving(false);
    }
  }

  return (
    <>
      {group ? <GroupIcon color="disabled" /> : <AlternateEmailIcon color="disabled" />}
      <Typography sx={{ fontWeight: 700 }} noWrap data-testid="channel-title">
        {name}
      </Typography>
      <Tooltip title="Notification settings">
        <IconButton
          size="small"
          aria-label="Notification settings"
          data-muted={muted || undefined}
          onClick={() => setNotifying(true)}
        >
          {muted ? (
            <NotificationsOffIcon fontSize="small" />
          ) : (
            <NotificationsIcon fontSize="small" />
          )}
        </IconButton>
      </Tooltip>
      <NotificationSettingsDialog
        guildId={null}
        channelId={dm.id}
        title={`Notifications for ${group ? name : `@${name}`}`}
        open={notifying}
        onClose={() => setNotifying(false)}
      />
      {group && (
        <>
          <Typography
            variant="body2"
            color="text.secondary"
            noWrap
            data-testid="dm-members"
            sx={{ flex: 1, minWidth: 0 }}
          >
            {(dm.recipients ?? []).length + 1} members:{" "}
            {(dm.recipients ?? []).map(nameOf).join(", ")}
          </Typography>
          <Button size="small" onClick={() => setRenaming(true)}>
            Rename
          </Button>
          <Button size="small" color="error" onClick={() => setLeaving(true)}>
            Leave group
          </Button>
          <RenameDialog dm={dm} open={renaming} onClose={() => setRenaming(false)} />
          <Dialog open={leaving} onClose={() => setLeaving(false)}>
            <DialogTitle>Leave “{name}”?</DialogTitle>
            <DialogContent>
              <Typography>You will not see its messages unless someone adds you again.</Typography>
            </DialogContent>
            <DialogActions>
              <Button onClick={() => setLeaving(false)}>Cancel</Button>
              <Button color="error" variant="contained" onClick={() => void leave()}>
                Leave
              </Button>
            </DialogActions>
          </Dialog>
        </>
      )}
    </>
  );
}

function RenameDialog({ dm, open, onClose }: { dm: Channel; open: boolean; onClose: () => void }) {
  const client = useClient();
  const dispatch = useAppDispatch();
  const [value, setValue] = useState(dm.name ?? "");
  const { busy, error, submit } = useSubmit(async () => {
    dispatch(dmsLoaded([await client.ep.updateChannel(dm.id, { name: value.trim() })]));
    onClose();
  });

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit}>
        <DialogTitle>Rename the group</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1 }}>
            {error && <Alert severity="error">{error}</Alert>}
            <TextField
              autoFocus
              label="Group name"
              value={value}
              onChange={(e) => setValue(e.target.value)}
              slotProps={{ htmlInput: { maxLength: 100, "data-testid": "group-rename-input" } }}
            />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={busy || !value.trim()}>
            Save
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

/** Pick up to nine people from the members of one's servers, and an optional name. */
function NewGroupDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const client = useClient();
  const dispatch = useAppDispatch();
  const me = useAppSelector((s) => s.auth.user?.id);
  const guildIds = useAppSelector((s) => s.guilds.order);
  const loaded = useAppSelector((s) => s.members.loaded);
  const byGuild = useAppSelector((s) => s.members.byGuild);
  const users = useAppSelector((s) => s.members.users);
  const [query, setQuery] = useState("");
  const [name, setName] = useState("");
  const [picked, setPicked] = useState<Snowflake[]>([]);

  // Everyone in one's servers is a candidate: load the member lists not loaded yet.
  useEffect(() => {
    if (!open) return;
    for (const guildId of guildIds)
      if (!loaded[guildId])
        client.ep
          .members(guildId)
          .then((members) => dispatch(membersLoaded({ guildId, members })))
          .catch((err: unknown) => client.notify(err, "Could not load the member list"));
  }, [open, guildIds, loaded, client, dispatch]);

  const candidates = useMemo(() => {
    const found = new Map<Snowflake, string>();
    for (const members of Object.values(byGuild))
      for (const member of Object.values(members))
        if (member.user.id !== me)
          found.set(member.user.id, displayName(users[member.user.id] ?? member.user));
    const wanted = query.trim().toLowerCase();
    return [...found.entries()]
      .filter(([, label]) => !wanted || label.toLowerCase().includes(wanted))
      .sort((a, b) => a[1].localeCompare(b[1]));
  }, [byGuild, users, me, query]);

  const full = picked.length >= MAX_GROUP - 1;
  const { busy, error, setError, submit } = useSubmit(async () => {
    dispatch(dmOpened(await client.ep.createGroupDm(picked, name.trim() || undefined)));
    close();
  });

  function toggle(id: Snowflake) {
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : full ? p : [...p, id]));
  }

  function close() {
    setPicked([]);
    setName("");
    setQuery("");
    setError(null);
    onClose();
  }

  return (
    <Dialog open={open} onClose={close} fullWidth maxWidth="xs">
      <form onSubmit={submit}>
        <DialogTitle>New group DM</DialogTitle>
        <DialogContent>
          <Stack spacing={1.5} sx={{ mt: 1 }}>
            {error && <Alert severity="error">{error}</Alert>}
            <TextField
              label="Group name (optional)"
              value={name}
              onChange={(e) => setName(e.target.value)}
              slotProps={{ htmlInput: { maxLength: 100, "data-testid": "group-name-input" } }}
            />
            <TextField
              label="Find people by name"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              slotProps={{ htmlInput: { "data-testid": "group-search-input" } }}
            />
            <Typography variant="caption" color="text.secondary">
              {picked.length} of {MAX_GROUP - 1} picked
            </Typography>
            <Box sx={{ maxHeight: 260, overflowY: "auto" }}>
              {candidates.length === 0 && (
                <Typography variant="body2" color="text.secondary">
                  Nobody found in your servers.
                </Typography>
              )}
              {candidates.map(([id, label]) => (
                <FormControlLabel
                  key={id}
                  sx={{ display: "flex" }}
                  control={
                    <Checkbox
                      checked={picked.includes(id)}
                      disabled={full && !picked.includes(id)}
                      onChange={() => toggle(id)}
                    />
                  }
                  label={label}
                />
              ))}
            </Box>
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={close}>Cancel</Button>
          <Button
            type="submit"
            variant="contained"
            disabled={busy || picked.length === 0}
            startIcon={busy ? <CircularProgress size={16} /> : undefined}
          >
            Create group
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
