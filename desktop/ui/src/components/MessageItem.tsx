import AddReactionIcon from "@mui/icons-material/AddReactionOutlined";
import AttachFileIcon from "@mui/icons-material/AttachFile";
import DeleteIcon from "@mui/icons-material/DeleteOutlined";
import EditIcon from "@mui/icons-material/EditOutlined";
import ReplyIcon from "@mui/icons-material/Reply";
import {
  Box,
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  IconButton,
  Link,
  Paper,
  Popover,
  Stack,
  TextField,
  Tooltip,
  Typography,
} from "@mui/material";
import { motion } from "framer-motion";
import { memo, useState, type KeyboardEvent } from "react";
import type { Emoji, Message, Reaction } from "../api/types";
import { useClient } from "../services/context";
import { messageUpserted } from "../store/actions";
import { useAppDispatch, useAppSelector } from "../store/index";
import { displayName } from "../store/members";
import { mentions, messageRemoved, ownReaction } from "../store/messages";
import { entryEmoji, reactionKey } from "../util/customEmoji";
import { formatBytes, formatTime } from "../util/format";
import { whoReacted } from "../util/reactions";
import { UserAvatar } from "./common";
import { CustomEmojiImage } from "./CustomEmoji";
import EmojiPicker from "./EmojiPicker";
import Embeds from "./Embeds";
import { ViewableImage } from "./ImageViewer";
import MessageContent from "./MessageContent";

const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "😢"];

/** A reaction's count, a toggle of one's own, and who reacted in its tooltip. */
function ReactionChip(props: {
  reaction: Reaction;
  meId?: string;
  guildId?: string | null;
  onClick: () => void;
}) {
  const { reaction: r, meId, guildId } = props;
  const users = useAppSelector((s) => s.members.users);
  const members = useAppSelector((s) => (guildId ? s.members.byGuild[guildId] : undefined));
  const names = (r.users ?? [])
    .filter((id) => id !== meId && users[id])
    .map((id) => displayName(users[id], members?.[id]));
  const who = whoReacted(r.emoji.id ? `:${r.emoji.name}:` : r.emoji.name, r.count, r.me, names);
  return (
    <Tooltip title={who} describeChild>
      <Chip
        size="small"
        data-testid="reaction"
        label={
          r.emoji.id ? (
            <>
              <CustomEmojiImage id={r.emoji.id} name={r.emoji.name} size={16} /> {r.count}
            </>
          ) : (
            `${r.emoji.name} ${r.count}`
          )
        }
        color={r.me ? "primary" : "default"}
        variant={r.me ? "filled" : "outlined"}
        onClick={props.onClick}
        aria-pressed={r.me}
      />
    </Tooltip>
  );
}

interface Props {
  message: Message;
  replied: Message | null;
  grouped: boolean;
  newDivider: boolean;
  mine: boolean;
  /** May delete others' messages (MANAGE_MESSAGES in the channel). */
  canManage: boolean;
  /** May add a reaction of their own (ADD_REACTIONS in the channel). */
  canReact: boolean;
  meId?: string;
  editing: boolean;
  onEdit: () => void;
  onEditDone: () => void;
  onReply: () => void;
}

function MessageItem(props: Props) {
  const { message, replied, grouped, newDivider, mine, canManage, canReact, meId, editing } = props;
  const client = useClient();
  const dispatch = useAppDispatch();
  const [hover, setHover] = useState(false);
  const [pickerAt, setPickerAt] = useState<HTMLElement | null>(null);
  const [pickerAbove, setPickerAbove] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [draft, setDraft] = useState(message.content);
  const [saving, setSaving] = useState(false);
  // A mention of a role one holds is a mention of oneself.
  const myRoles = useAppSelector((s) => {
    const guildId = s.channels.byId[message.channel_id]?.guild_id;
    return guildId && meId ? s.members.byGuild[guildId]?.[meId]?.roles : undefined;
  });
  const mentioned = mentions(message, meId, myRoles);

  async function toggleReaction(emoji: Emoji, reaction?: Reaction) {
    const add = !reaction?.me;
    const event = {
      user_id: meId ?? "",
      channel_id: message.channel_id,
      message_id: message.id,
      emoji,
    };
    const key = reactionKey(emoji);
    dispatch(ownReaction({ ...event, add }));
    try {
      if (add) await client.ep.react(message.channel_id, message.id, key);
      else await client.ep.unreact(message.channel_id, message.id, key);
    } catch (error) {
      dispatch(ownReaction({ ...event, add: !add }));
      client.notify(error, "The reaction was not saved");
    }
  }

  async function saveEdit() {
    const content = draft.trim();
    if (!content || content === message.content) return props.onEditDone();
    setSaving(true);
    try {
      dispatch(
        messageUpserted(await client.ep.editMessage(message.channel_id, message.id, content)),
      );
      props.onEditDone();
    } catch (error) {
      client.notify(error, "The edit was not saved");
    } finally {
      setSaving(false);
    }
  }

  async function remove() {
    setConfirmDelete(false);
    try {
      await client.ep.deleteMessage(message.channel_id, message.id);
      dispatch(messageRemoved({ channelId: message.channel_id, id: message.id }));
    } catch (error) {
      client.notify(error, "The message was not deleted");
    }
  }

  function editKeys(event: KeyboardEvent) {
    if (event.key === "Escape") {
      event.preventDefault();
      setDraft(message.content);
      props.onEditDone();
    } else if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      void saveEdit();
    }
  }

  return (
    <motion.div
      layout="position"
      initial={{ opacity: 0, y: 8 }}
      animate={{ opacity: 1, y: 0 }}
      exit={{ opacity: 0, height: 0 }}
      transition={{ duration: 0.15 }}
    >
      {newDivider && (
        <Box sx={{ display: "flex", alignItems: "center", px: 2, my: 1 }} data-testid="new-divider">
          <Box sx={{ flex: 1, borderTop: "1px solid #f23f43" }} />
          <Typography variant="caption" sx={{ color: "#f23f43", fontWeight: 700, ml: 1 }}>
            NEW
          </Typography>
        </Box>
      )}
      <Box
        data-testid="message"
        data-message-id={message.id}
        data-mentioned={mentioned ? "true" : undefined}
        onMouseEnter={() => setHover(true)}
        onMouseLeave={() => setHover(false)}
        sx={{
          position: "relative",
          display: "flex",
          gap: 2,
          px: 2,
          pt: grouped ? 0.25 : 1.5,
          pb: 0.25,
          bgcolor: mentioned ? "rgba(240,178,50,0.1)" : hover ? "rgba(0,0,0,0.08)" : undefined,
          borderLeft: mentioned ? "2px solid #f0b232" : "2px solid transparent",
        }}
      >
        <Box sx={{ width: 40, flexShrink: 0 }}>
          {!grouped && <UserAvatar user={message.author} size={40} />}
        </Box>
        <Box sx={{ flex: 1, minWidth: 0 }}>
          {replied && (
            <Typography
              variant="caption"
              color="text.secondary"
              noWrap
              component="div"
              data-testid="reply-preview"
            >
              <ReplyIcon sx={{ fontSize: 12, transform: "scaleX(-1)", mr: 0.5 }} />
              <b>{displayName(replied.author)}</b> {replied.content.slice(0, 80)}
            </Typography>
          )}
          {!grouped && (
            <Stack direction="row" spacing={1} sx={{ alignItems: "baseline" }}>
              <Typography sx={{ fontWeight: 600 }} data-testid="message-author">
                {displayName(message.author)}
              </Typography>
              <Typography variant="caption" color="text.secondary">
                {formatTime(message.timestamp)}
              </Typography>
            </Stack>
          )}
          {editing ? (
            <Box>
              <TextField
                fullWidth
                multiline
                size="small"
                autoFocus
                value={draft}
                disabled={saving}
                onChange={(e) => setDraft(e.target.value)}
                onKeyDown={editKeys}
                slotProps={{ htmlInput: { "aria-label": "Edit message" } }}
              />
              <Typography variant="caption" color="text.secondary">
                Escape to cancel • Enter to save
              </Typography>
            </Box>
          ) : (
            <Typography
              component="div"
              sx={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}
              data-testid="message-content"
            >
              <MessageContent message={message} />
              {message.edited_timestamp && (
                <Typography
                  component="span"
                  variant="caption"
                  color="text.secondary"
                  sx={{ ml: 0.5 }}
                  data-testid="edited"
                >
                  (edited)
                </Typography>
              )}
            </Typography>
          )}
          {(message.attachments ?? []).map((a) => (
            <Paper
              key={a.id}
              variant="outlined"
              sx={{ mt: 0.5, p: 1, display: "inline-flex", alignItems: "center", gap: 1 }}
              data-testid="attachment"
            >
              {a.content_type?.startsWith("image/") && a.url ? (
                <ViewableImage
                  src={a.url}
                  alt={a.filename}
                  sx={{ maxWidth: 320, maxHeight: 240 }}
                />
              ) : (
                <>
                  <AttachFileIcon fontSize="small" />
                  {a.url ? (
                    <Link href={a.url} target="_blank" rel="noreferrer">
                      {a.filename}
                    </Link>
                  ) : (
                    <Typography>{a.filename}</Typography>
                  )}
                  <Typography variant="caption" color="text.secondary">
                    {formatBytes(a.size)}
                  </Typography>
                </>
              )}
            </Paper>
          ))}
          <Embeds embeds={message.embeds} />
          {(message.reactions ?? []).length > 0 && (
            <Stack direction="row" spacing={0.5} sx={{ mt: 0.5, flexWrap: "wrap" }}>
              {(message.reactions ?? []).map((r) => (
                <ReactionChip
                  key={r.emoji.id ?? r.emoji.name}
                  reaction={r}
                  meId={meId}
                  guildId={message.guild_id}
                  onClick={() => void toggleReaction(r.emoji, r)}
                />
              ))}
            </Stack>
          )}
        </Box>
        {(hover || pickerAt !== null) && !editing && (
          <Paper
            elevation={4}
            sx={{ position: "absolute", right: 16, top: -12, display: "flex" }}
            role="toolbar"
            aria-label="Message actions"
          >
            {canReact && (
              <Tooltip title="Add reaction">
                <IconButton
                  size="small"
                  aria-label="Add reaction"
                  onClick={(e) => {
                    // Open towards the larger space, so the picker stays beside its button.
                    const { top, bottom } = e.currentTarget.getBoundingClientRect();
                    setPickerAbove(top > window.innerHeight - bottom);
                    setPickerAt(e.currentTarget);
                  }}
                >
                  <AddReactionIcon fontSize="small" />
                </IconButton>
              </Tooltip>
            )}
            <Tooltip title="Reply">
              <IconButton size="small" aria-label="Reply" onClick={props.onReply}>
                <ReplyIcon fontSize="small" />
              </IconButton>
            </Tooltip>
            {mine && (
              <Tooltip title="Edit">
                <IconButton
                  size="small"
                  aria-label="Edit"
                  onClick={() => {
                    setDraft(message.content);
                    props.onEdit();
                  }}
                >
                  <EditIcon fontSize="small" />
                </IconButton>
              </Tooltip>
            )}
            {(mine || canManage) && (
              <Tooltip title="Delete">
                <IconButton size="small" aria-label="Delete" onClick={() => setConfirmDelete(true)}>
                  <DeleteIcon fontSize="small" color="error" />
                </IconButton>
              </Tooltip>
            )}
          </Paper>
        )}
      </Box>
      <Popover
        open={pickerAt !== null}
        anchorEl={pickerAt}
        onClose={() => setPickerAt(null)}
        anchorOrigin={{ vertical: pickerAbove ? "top" : "bottom", horizontal: "right" }}
        transformOrigin={{ vertical: pickerAbove ? "bottom" : "top", horizontal: "right" }}
        slotProps={{ paper: { "data-testid": "reaction-picker" } as object }}
      >
        <Stack direction="row" sx={{ p: 0.5, pb: 0 }}>
          {QUICK_REACTIONS.map((emoji) => (
            <IconButton
              key={emoji}
              aria-label={`React with ${emoji}`}
              onClick={() => {
                setPickerAt(null);
                const existing = message.reactions?.find((r) => r.emoji.name === emoji);
                if (!existing?.me) void toggleReaction({ id: null, name: emoji }, existing);
              }}
            >
              {emoji}
            </IconButton>
          ))}
        </Stack>
        <EmojiPicker
          onPick={(emoji) => {
            setPickerAt(null);
            const picked = entryEmoji(emoji);
            const existing = message.reactions?.find(
              (r) => reactionKey(r.emoji) === reactionKey(picked),
            );
            if (!existing?.me) void toggleReaction(picked, existing);
          }}
        />
      </Popover>
      <Dialog open={confirmDelete} onClose={() => setConfirmDelete(false)}>
        <DialogTitle>Delete message</DialogTitle>
        <DialogContent>
          <Typography>Delete this message? This cannot be undone.</Typography>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirmDelete(false)}>Cancel</Button>
          <Button color="error" variant="contained" onClick={() => void remove()}>
            Delete
          </Button>
        </DialogActions>
      </Dialog>
    </motion.div>
  );
}

export default memo(MessageItem);
