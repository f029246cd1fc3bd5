import DeleteIcon from "@mui/icons-material/DeleteOutlined";
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogContent,
  DialogTitle,
  IconButton,
  List,
  ListItem,
  ListItemAvatar,
  ListItemText,
  MenuItem,
  Stack,
  Tab,
  Tabs,
  TextField,
  Typography,
} from "@mui/material";
import { useEffect, useMemo, useRef, useState } from "react";
import { errorText } from "../api/http";
import type { Ban, Role, User } from "../api/types";
import { useClient } from "../services/context";
import { gatewayEvent } from "../store/actions";
import { useAppDispatch, useAppSelector } from "../store/index";
import { displayName, usersSeen } from "../store/members";
import { usePermissions } from "../store/permissions";
import { Permission, describePermissions, has, parseBits } from "../util/permissions";
import { Loading, UserAvatar } from "./common";
import GuildEmojiSettings from "./GuildEmojiSettings";
import InviteDialog from "./InviteDialog";
import RolePermissionsDialog from "./RolePermissionsDialog";

type TabName = "overview" | "channels" | "roles" | "emoji" | "members" | "invites" | "bans";

/** Each tab, and the permissions that open it (any one of them). */
const TABS: { name: TabName; label: string; needs: bigint }[] = [
  { name: "overview", label: "Overview", needs: Permission.MANAGE_GUILD },
  { name: "channels", label: "Channels", needs: Permission.MANAGE_CHANNELS },
  { name: "roles", label: "Roles", needs: Permission.MANAGE_ROLES },
  { name: "emoji", label: "Emoji", needs: Permission.MANAGE_GUILD_EXPRESSIONS },
  {
    name: "members",
    label: "Members",
    needs: Permission.KICK_MEMBERS | Permission.BAN_MEMBERS,
  },
  { name: "invites", label: "Invites", needs: Permission.CREATE_INSTANT_INVITE },
  { name: "bans", label: "Bans", needs: Permission.BAN_MEMBERS },
];

/** Run an action, telling the user in words if it fails; true when it succeeded. */
function useAction() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function run(action: () => Promise<unknown>): Promise<boolean> {
    setBusy(true);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { error, busy, run };
}

export default function GuildSettingsDialog({
  guildId,
  open,
  onClose,
}: {
  guildId: string;
  open: boolean;
  onClose: () => void;
}) {
  const [chosen, setTab] = useState<TabName>("overview");
  const guild = useAppSelector((s) => s.guilds.byId[guildId]);
  const permissions = usePermissions(guildId);
  const tabs = TABS.filter((t) => (permissions & t.needs) !== 0n);
  // A tab the user may no longer open (a role taken away meanwhile) gives way to the first.
  const tab = tabs.some((t) => t.name === chosen) ? chosen : tabs[0]?.name;
  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="md">
      <DialogTitle>{guild?.name} — server settings</DialogTitle>
      <DialogContent sx={{ display: "flex", gap: 2, minHeight: 420 }}>
        <Tabs
          orientation="vertical"
          value={tab ?? false}
          onChange={(_, v: TabName) => setTab(v)}
          sx={{ borderRight: 1, borderColor: "divider", minWidth: 140 }}
        >
          {tabs.map((t) => (
            <Tab key={t.name} value={t.name} label={t.label} />
          ))}
        </Tabs>
        <Box sx={{ flex: 1, minWidth: 0 }}>
          {tab === "overview" && <Overview guildId={guildId} onDeleted={onClose} />}
          {tab === "channels" && <Channels guildId={guildId} />}
          {tab === "roles" && <Roles guildId={guildId} />}
          {tab === "emoji" && <GuildEmojiSettings guildId={guildId} />}
          {tab === "members" && <Members guildId={guildId} />}
          {tab === "invites" && <Invites guildId={guildId} />}
          {tab === "bans" && <Bans guildId={guildId} />}
        </Box>
      </DialogContent>
    </Dialog>
  );
}

function Overview({ guildId, onDeleted }: { guildId: string; onDeleted: () => void }) {
  const client = useClient();
  const dispatch = useAppDispatch();
  const guild = useAppSelector((s) => s.guilds.byId[guildId]);
  const me = useAppSelector((s) => s.auth.user);
  const [name, setName] = useState(guild?.name ?? "");
  const { error, busy, run } = useAction();
  return (
    <Stack spacing={2}>
      {error && <Alert severity="error">{error}</Alert>}
      <TextField label="Server name" value={name} onChange={(e) => setName(e.target.value)} />
      <Box>
        <Button
          variant="contained"
          disabled={busy || !name.trim() || name === guild?.name}
          onClick={() =>
            void run(async () => {
              const updated = await client.ep.updateGuild(guildId, { name: name.trim() });
              dispatch(gatewayEvent({ t: "GUILD_UPDATE", d: updated }));
            })
          }
        >
          Save
        </Button>
      </Box>
      {guild?.owner_id === me?.id && (
        <Box sx={{ pt: 4 }}>
          <Typography color="error" sx={{ fontWeight: 700 }}>
            Danger zone
          </Typography>
          <Button
            color="error"
            variant="outlined"
            disabled={busy}
            onClick={() => {
              if (!window.confirm(`Delete ${guild?.name}? This cannot be undone.`)) return;
              void run(async () => {
                await client.ep.deleteGuild(guildId);
                dispatch(gatewayEvent({ t: "GUILD_DELETE", d: { id: guildId } }));
                onDeleted();
              });
            }}
          >
            Delete server
          </Button>
        </Box>
      )}
    </Stack>
  );
}

function Channels({ guildId }: { guildId: string }) {
  const client = useClient();
  const dispatch = useAppDispatch();
  const all = useAppSelector((s) => s.channels.byId);
  const channels = useMemo(
    () =>
      Object.values(all)
        .filter((c) => c.guild_id === guildId)
        .sort((a, b) => (a.position ?? 0) - (b.position ?? 0)),
    [all, guildId],
  );
  const categories = channels.filter((c) => c.type === 4);
  const [name, setName] = useState("");
  const [type, setType] = useState(0);
  const [parent, setParent] = useState("");
  const [renaming, setRenaming] = useState<Record<string, string>>({});
  const { error, busy, run } = useAction();
  const typeName = (t: number) =>
    t === 0 ? "text" : t === 2 ? "voice" : t === 4 ? "category" : `type ${t}`;
  return (
    <Stack spacing={2}>
      {error && <Alert severity="error">{error}</Alert>}
      <Stack direction="row" spacing={1}>
        <TextField
          size="small"
          label="New channel"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <TextField
          size="small"
          select
          label="Type"
          value={type}
          onChange={(e) => setType(Number(e.target.value))}
        >
          <MenuItem value={0}>Text</MenuItem>
          <MenuItem value={2}>Voice</MenuItem>
          <MenuItem value={4}>Category</MenuItem>
        </TextField>
        {type !== 4 && (
          <TextField
            size="small"
            select
            label="Category"
            value={parent}
            onChange={(e) => setParent(e.target.value)}
            sx={{ minWidth: 120 }}
          >
            <MenuItem value="">None</MenuItem>
            {categories.map((c) => (
              <MenuItem key={c.id} value={c.id}>
                {c.name}
              </MenuItem>
            ))}
          </TextField>
        )}
        <Button
          variant="contained"
          disabled={busy || !name.trim()}
          onClick={() =>
            void run(async () => {
              const channel = await client.ep.createChannel(guildId, {
                name: name.trim(),
                type,
                parent_id: type !== 4 && parent ? parent : null,
              });
              dispatch(gatewayEvent({ t: "CHANNEL_CREATE", d: { ...channel, guild_id: guildId } }));
              setName("");
            })
          }
        >
          Create
        </Button>
      </Stack>
      <List dense>
        {channels.map((c) => (
          <ListItem
            key={c.id}
            secondaryAction={
              <IconButton
                aria-label={`Delete ${c.name}`}
                onClick={() => {
                  if (!window.confirm(`Delete #${c.name}?`)) return;
                  void run(async () => {
                    await client.ep.deleteChannel(c.id);
                    dispatch(gatewayEvent({ t: "CHANNEL_DELETE", d: c }));
                  });
                }}
              >
                <DeleteIcon />
              </IconButton>
            }
          >
            <TextField
              size="small"
              variant="standard"
              value={renaming[c.id] ?? c.name ?? ""}
              onChange={(e) => setRenaming({ ...renaming, [c.id]: e.target.value })}
              onBlur={() => {
                const next = renaming[c.id]?.trim();
                if (!next || next === c.name) return;
                void run(async () => {
                  const updated = await client.ep.updateChannel(c.id, { name: next });
                  dispatch(gatewayEvent({ t: "CHANNEL_UPDATE", d: updated }));
                });
              }}
              slotProps={{ htmlInput: { "aria-label": `Rename ${c.name}` } }}
            />
            <Typography variant="caption" color="text.secondary" sx={{ ml: 2 }}>
              {typeName(c.type)}
            </Typography>
          </ListItem>
        ))}
      </List>
    </Stack>
  );
}

function Roles({ guildId }: { guildId: string }) {
  const client = useClient();
  const dispatch = useAppDispatch();
  const roles = useAppSelector((s) => s.guilds.byId[guildId]?.roles ?? []);
  const members = useAppSelector((s) => s.members.byGuild[guildId] ?? {});
  const [name, setName] = useState("");
  const [color, setColor] = useState("#5865f2");
  const [assignUser, setAssignUser] = useState("");
  const [assignRole, setAssignRole] = useState("");
  const [editing, setEditing] = useState<Role | null>(null);
  const { error, busy, run } = useAction();

  useEffect(() => {
    let cancelled = false;
    client.ep
      .roles(guildId)
      .then((list) => {
        if (cancelled) return;
        for (const role of list)
          dispatch(gatewayEvent({ t: "GUILD_ROLE_UPDATE", d: { guild_id: guildId, role } }));
      })
      .catch((err) => !cancelled && client.notify(err, "Could not load roles"));
    return () => {
      cancelled = true;
    };
  }, [client, dispatch, guildId]);

  const apply = (role: Role) =>
    dispatch(gatewayEvent({ t: "GUILD_ROLE_UPDATE", d: { guild_id: guildId, role } }));
  return (
    <Stack spacing={2}>
      {error && <Alert severity="error">{error}</Alert>}
      <Stack direction="row" spacing={1}>
        <TextField
          size="small"
          label="New role"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <TextField
          size="small"
          type="color"
          label="Colour"
          value={color}
          onChange={(e) => setColor(e.target.value)}
          sx={{ width: 90 }}
        />
        <Button
          variant="contained"
          disabled={busy || !name.trim()}
          onClick={() =>
            void run(async () => {
              apply(
                await client.ep.createRole(guildId, {
                  name: name.trim(),
                  color: parseInt(color.slice(1), 16),
                }),
              );
              setName("");
            })
          }
        >
          Create
        </Button>
      </Stack>
      <List dense>
        {roles.map((r) => (
          <ListItem key={r.id}>
            <Box
              sx={{
                width: 12,
                height: 12,
                borderRadius: "50%",
                mr: 1,
                bgcolor: r.color ? `#${r.color.toString(16).padStart(6, "0")}` : "#99aab5",
              }}
            />
            <ListItemText
              primary={r.id === guildId ? "@everyone" : r.name}
              secondary={describePermissions(parseBits(r.permissions))}
            />
            <Button
              size="small"
              onClick={() => setEditing(r)}
              aria-label={`Permissions of ${r.name}`}
            >
              Permissions
            </Button>
          </ListItem>
        ))}
      </List>
      {editing && (
        <RolePermissionsDialog
          guildId={guildId}
          role={editing}
          onSaved={apply}
          onClose={() => setEditing(null)}
        />
      )}
      <Typography sx={{ fontWeight: 700 }}>Give a role to a member</Typography>
      <Stack direction="row" spacing={1}>
        <TextField
          size="small"
          select
          label="Member"
          value={assignUser}
          onChange={(e) => setAssignUser(e.target.value)}
          sx={{ minWidth: 160 }}
        >
          {Object.values(members).map((m) => (
            <MenuItem key={m.user.id} value={m.user.id}>
              {displayName(m.user, m)}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          size="small"
          select
          label="Role"
          value={assignRole}
          onChange={(e) => setAssignRole(e.target.value)}
          sx={{ minWidth: 160 }}
        >
          {roles
            .filter((r) => r.name !== "@everyone")
            .map((r) => (
              <MenuItem key={r.id} value={r.id}>
                {r.name}
              </MenuItem>
            ))}
        </TextField>
        <Button
          variant="outlined"
          disabled={busy || !assignUser || !assignRole}
          onClick={() =>
            void run(async () => {
              await client.ep.addMemberRole(guildId, assignUser, assignRole);
              const member = members[assignUser];
              if (member)
                dispatch(
                  gatewayEvent({
                    t: "GUILD_MEMBER_UPDATE",
                    d: {
                      ...member,
                      guild_id: guildId,
                      roles: [...(member.roles ?? []), assignRole],
                    },
                  }),
                );
            })
          }
        >
          Assign
        </Button>
      </Stack>
    </Stack>
  );
}

function Members({ guildId }: { guildId: string }) {
  const client = useClient();
  const dispatch = useAppDispatch();
  const members = useAppSelector((s) => s.members.byGuild[guildId] ?? {});
  const me = useAppSelector((s) => s.auth.user);
  const ownerId = useAppSelector((s) => s.guilds.byId[guildId]?.owner_id);
  const permissions = usePermissions(guildId);
  // What may be done to another member, and what it tells this page's store when done.
  const moderations = [
    {
      verb: "Kick",
      needs: Permission.KICK_MEMBERS,
      color: "primary" as const,
      event: "GUILD_MEMBER_REMOVE",
      call: (userId: string, reason?: string) => client.ep.kick(guildId, userId, reason),
    },
    {
      verb: "Ban",
      needs: Permission.BAN_MEMBERS,
      color: "error" as const,
      event: "GUILD_BAN_ADD",
      call: (userId: string, reason?: string) => client.ep.ban(guildId, userId, reason),
    },
  ];
  const { error, busy, run } = useAction();
  return (
    <Stack spacing={1}>
      {error && <Alert severity="error">{error}</Alert>}
      <List dense>
        {Object.values(members).map((m) => (
          <ListItem
            key={m.user.id}
            secondaryAction={
              m.user.id !== me?.id &&
              m.user.id !== ownerId && (
                <Stack direction="row" spacing={1}>
                  {moderations
                    .filter((action) => has(permissions, action.needs))
                    .map((action) => (
                      <Button
                        key={action.verb}
                        size="small"
                        color={action.color}
                        disabled={busy}
                        onClick={() =>
                          void run(async () => {
                            const reason = window.prompt(
                              `${action.verb} ${m.user.username}? Reason (optional):`,
                            );
                            if (reason === null) return;
                            await action.call(m.user.id, reason || undefined);
                            dispatch(
                              gatewayEvent({
                                t: action.event,
                                d: { guild_id: guildId, user: m.user },
                              }),
                            );
                          })
                        }
                      >
                        {action.verb}
                      </Button>
                    ))}
                </Stack>
              )
            }
          >
            <ListItemText primary={displayName(m.user, m)} secondary={m.user.username} />
          </ListItem>
        ))}
      </List>
    </Stack>
  );
}

function Invites({ guildId }: { guildId: string }) {
  const selected = useAppSelector((s) => s.channels.selected[guildId] ?? null);
  const [open, setOpen] = useState(false);
  return (
    <Stack spacing={2}>
      <Typography color="text.secondary">
        An invite lets anyone with its code join this server. Choose how long it lasts and how many
        times it can be used.
      </Typography>
      <Box>
        <Button variant="contained" onClick={() => setOpen(true)}>
          Create an invite
        </Button>
      </Box>
      <InviteDialog channelId={selected} open={open} onClose={() => setOpen(false)} />
    </Stack>
  );
}

function Bans({ guildId }: { guildId: string }) {
  const client = useClient();
  const [bans, setBans] = useState<Ban[] | null>(null);
  const [userId, setUserId] = useState("");
  const [reason, setReason] = useState("");
  const [loadError, setLoadError] = useState<string | null>(null);
  const { error, busy, run } = useAction();
  const users = useAppSelector((s) => s.members.users);
  const dispatch = useAppDispatch();
  // A ban names its user by id only: the names come from the users the page knows, and the
  // others are asked for once each.
  const asked = useRef(new Set<string>());
  useEffect(() => {
    for (const { user } of bans ?? []) {
      if (users[user.id]?.username || asked.current.has(user.id)) continue;
      asked.current.add(user.id);
      client.ep
        .user(user.id)
        .then((found) => dispatch(usersSeen([found])))
        .catch(() => undefined); // the id stays shown instead
    }
  }, [client, dispatch, bans, users]);

  useEffect(() => {
    let cancelled = false;
    client.ep
      .bans(guildId)
      .then((list) => !cancelled && setBans(list))
      .catch((err) => !cancelled && setLoadError(errorText(err)));
    return () => {
      cancelled = true;
    };
  }, [client, guildId]);

  return (
    <Stack spacing={2}>
      {error && <Alert severity="error">{error}</Alert>}
      <Stack direction="row" spacing={1}>
        <TextField
          size="small"
          label="User id"
          value={userId}
          onChange={(e) => setUserId(e.target.value)}
        />
        <TextField
          size="small"
          label="Reason"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
        <Button
          color="error"
          variant="contained"
          disabled={busy || !/^\d+$/.test(userId)}
          onClick={() =>
            void run(async () => {
              await client.ep.ban(guildId, userId, reason || undefined);
              setBans((old) => [...(old ?? []), { user: { id: userId } as User, reason }]);
              setUserId("");
              setReason("");
            })
          }
        >
          Ban
        </Button>
      </Stack>
      {loadError && <Alert severity="warning">Could not list bans: {loadError}</Alert>}
      {bans === null && !loadError && <Loading label="Loading bans…" />}
      {bans?.length === 0 && <Typography color="text.secondary">Nobody is banned.</Typography>}
      <List dense>
        {bans?.map((b) => (
          <ListItem
            key={b.user.id}
            secondaryAction={
              <Button
                size="small"
                disabled={busy}
                onClick={() =>
                  void run(async () => {
                    await client.ep.unban(guildId, b.user.id);
                    setBans((old) => (old ?? []).filter((x) => x.user.id !== b.user.id));
                  })
                }
              >
                Unban
              </Button>
            }
          >
            <ListItemAvatar>
              <UserAvatar user={users[b.user.id] ?? b.user} size={32} />
            </ListItemAvatar>
            <ListItemText
              primary={users[b.user.id]?.username ? displayName(users[b.user.id]) : b.user.id}
              secondary={b.reason || "no reason given"}
            />
          </ListItem>
        ))}
      </List>
    </Stack>
  );
}
