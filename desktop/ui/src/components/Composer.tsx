import AddCircleIcon from "@mui/icons-material/AddCircle";
import CloseIcon from "@mui/icons-material/Close";
import {
  Box,
  IconButton,
  InputBase,
  LinearProgress,
  Paper,
  Stack,
  Typography,
} from "@mui/material";
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import type { NewAttachment } from "../api/endpoints";
import { uploadFile } from "../api/http";
import type { Channel, Message } from "../api/types";
import { encodeMentions } from "../util/text";
import { useClient } from "../services/context";
import { useAppSelector } from "../store/index";
import { displayName } from "../store/members";
import { usePermissions } from "../store/permissions";
import { formatBytes } from "../util/format";
import { Permission, has } from "../util/permissions";
import EmojiButton from "./EmojiButton";
import UploadPreview from "./UploadPreview";
import { pastedFiles } from "./useFileDrop";
import { useEmojiInput } from "./useEmojiInput";
import { useMentions } from "./useMentions";

/** How often TYPING_START is asked for while typing (the indicator lasts 10 s). */
const TYPING_EVERY_MS = 8000;
/** The largest file the client offers to upload (the server enforces its own limit too). */
const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

interface Pending {
  file: File;
  progress: number | null;
}

export default function Composer({
  channel,
  replyTo,
  onCancelReply,
  onEditLast,
  dropped,
  label = `#${channel.name}`,
}: {
  channel: Channel;
  replyTo: Message | null;
  onCancelReply: () => void;
  onEditLast: () => void;
  /** Files dropped on the message pane, to upload with the next message. */
  dropped?: File[] | null;
  /** Where the message goes, as the pane's title names it: `#general`, `@alice`, a group. */
  label?: string;
}) {
  const client = useClient();
  const members = useAppSelector((s) =>
    channel.guild_id ? s.members.byGuild[channel.guild_id] : undefined,
  );
  const users = useAppSelector((s) => s.members.users);
  const permissions = usePermissions(channel.guild_id, channel.id);
  const [text, setText] = useState("");
  const [files, setFiles] = useState<Pending[]>([]);
  const [uploading, setUploading] = useState(false);
  const lastTyping = useRef(0);
  const picker = useRef<HTMLInputElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const mentions = useMentions(channel);
  const emoji = useEmojiInput(text, typed, input, mentions.completers);

  // Choosing Reply on a message means writing the reply next.
  const replyId = replyTo?.id;
  useEffect(() => {
    if (replyId) input.current?.focus();
  }, [replyId]);

  function typed(value: string) {
    setText(value);
    const now = Date.now();
    if (value && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      client.ep.typing(channel.id).catch(() => {
        // The indicator is a courtesy; a failure here must not interrupt typing.
      });
    }
  }

  const mayAttach = has(permissions, Permission.ATTACH_FILES);
  useEffect(() => {
    if (dropped && mayAttach) addFiles(dropped);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- each drop once, as it comes
  }, [dropped]);

  function addFiles(list: FileList | File[] | null) {
    const chosen = Array.from(list ?? []);
    const tooBig = chosen.filter((f) => f.size > MAX_UPLOAD_BYTES);
    for (const f of tooBig)
      client.notify(
        `${f.name} is ${formatBytes(f.size)}; the limit is ${formatBytes(MAX_UPLOAD_BYTES)}.`,
      );
    setFiles((old) => [
      ...old,
      ...chosen.filter((f) => f.size <= MAX_UPLOAD_BYTES).map((file) => ({ file, progress: null })),
    ]);
  }

  async function upload(): Promise<NewAttachment[]> {
    if (files.length === 0) return [];
    const slots = await client.ep.attachmentSlots(
      channel.id,
      files.map((p, i) => ({
        id: String(i),
        filename: p.file.name,
        file_size: p.file.size,
        content_type: p.file.type || "application/octet-stream",
      })),
    );
    const uploaded: NewAttachment[] = [];
    for (const [i, pending] of files.entries()) {
      const slot = slots.find((s) => s.id === String(i)) ?? slots[i];
      if (!slot) throw new Error(`The server gave no upload slot for ${pending.file.name}.`);
      await uploadFile(
        {
          url: slot.upload_url,
          method: slot.upload_method,
          headers: slot.upload_headers,
          fields: slot.upload_fields,
        },
        pending.file,
        (fraction) =>
          setFiles((old) => old.map((p, j) => (j === i ? { ...p, progress: fraction } : p))),
      );
      uploaded.push({
        id: slot.id,
        filename: pending.file.name,
        uploaded_filename: slot.upload_filename,
      });
    }
    return uploaded;
  }

  // The text and reply go to the outbox at Enter and the composer is cleared at once, in the
  // same event: a send never touches what is typed after it, however long the server takes.
  function send() {
    const content = encodeMentions(mentions.encode(text.trim()), members, users);
    // Files being uploaded belong to the message sent with them; what is typed meanwhile is
    // a message of its own.
    const withFiles = files.length > 0 && !uploading;
    if (!content && !withFiles) return;
    const reply = replyTo?.id ?? null;
    setText("");
    mentions.reset();
    onCancelReply();
    // lastTyping is kept: the server allows one typing signal per channel every 5 s, and
    // the next one is due TYPING_EVERY_MS after the last whatever was sent between.
    if (!withFiles) {
      void client.outbox.send(channel.id, { content, replyTo: reply });
      return;
    }
    void sendWithFiles(content, reply);
  }

  async function sendWithFiles(content: string, reply: string | null) {
    setUploading(true);
    try {
      const attachments = await upload();
      setFiles([]);
      void client.outbox.send(channel.id, { content, replyTo: reply, attachments });
    } catch (error) {
      setFiles((old) => old.map((p) => ({ ...p, progress: null })));
      // The files stay to try again; the words come back unless something was typed since.
      setText((now) => now || content);
      client.notify(error, "Your files were not uploaded");
    } finally {
      setUploading(false);
    }
  }

  function keys(event: KeyboardEvent) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === "ArrowUp" && text === "") {
      event.preventDefault();
      onEditLast();
    } else if (event.key === "Escape" && replyTo) {
      onCancelReply();
    }
  }

  if (!has(permissions, Permission.SEND_MESSAGES)) {
    return (
      <Box sx={{ px: 2, pb: 2 }}>
        <Paper sx={{ px: 2, py: 1.5, bgcolor: "#383a40" }} data-testid="composer-locked">
          <Typography variant="body2" color="text.secondary">
            You do not have permission to send messages in this channel.
          </Typography>
        </Paper>
      </Box>
    );
  }
  return (
    <Box sx={{ px: 2, pb: 2 }}>
      {replyTo && (
        <Paper
          square
          sx={{ px: 2, py: 0.5, display: "flex", alignItems: "center", bgcolor: "#2b2d31" }}
          data-testid="replying-to"
        >
          <Typography variant="body2" sx={{ flex: 1 }} noWrap>
            Replying to <b>{displayName(replyTo.author)}</b>
          </Typography>
          <IconButton size="small" aria-label="Cancel reply" onClick={onCancelReply}>
            <CloseIcon fontSize="small" />
          </IconButton>
        </Paper>
      )}
      {files.length > 0 && (
        <Stack direction="row" spacing={1} sx={{ p: 1, bgcolor: "#2b2d31", overflowX: "auto" }}>
          {files.map((p, i) => (
            <Paper
              key={i}
              variant="outlined"
              sx={{ p: 1, width: 180 }}
              data-testid="pending-upload"
            >
              <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
                <UploadPreview file={p.file} />
                <Typography variant="body2" noWrap sx={{ flex: 1 }}>
                  {p.file.name}
                </Typography>
                {!uploading && (
                  <IconButton
                    size="small"
                    aria-label={`Remove ${p.file.name}`}
                    onClick={() => setFiles((old) => old.filter((_, j) => j !== i))}
                  >
                    <CloseIcon fontSize="small" />
                  </IconButton>
                )}
              </Stack>
              <Typography variant="caption" color="text.secondary">
                {formatBytes(p.file.size)}
              </Typography>
              {p.progress !== null && (
                <LinearProgress
                  variant="determinate"
                  value={Math.round(p.progress * 100)}
                  aria-label={`Uploading ${p.file.name}`}
                />
              )}
            </Paper>
          ))}
        </Stack>
      )}
      <Paper sx={{ display: "flex", alignItems: "flex-start", px: 1, py: 0.5, bgcolor: "#383a40" }}>
        {mayAttach && (
          <IconButton aria-label="Attach a file" onClick={() => picker.current?.click()}>
            <AddCircleIcon />
          </IconButton>
        )}
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => {
            addFiles(e.target.files);
            e.target.value = "";
          }}
        />
        <InputBase
          fullWidth
          multiline
          maxRows={10}
          placeholder={`Message ${label}`}
          value={text}
          onChange={(e) => typed(e.target.value)}
          onKeyDown={(e) => emoji.keyDown(e) || keys(e)}
          onPaste={(e) => {
            const pasted = pastedFiles(e.clipboardData);
            if (pasted.length === 0 || !mayAttach) return;
            e.preventDefault();
            addFiles(pasted);
          }}
          onSelect={emoji.select}
          inputRef={input}
          sx={{ py: 1 }}
          inputProps={{ "aria-label": `Message ${label}`, "data-testid": "composer" }}
        />
        <EmojiButton onPick={emoji.insert} />
        {emoji.suggestions}
      </Paper>
    </Box>
  );
}
