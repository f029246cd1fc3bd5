/**
 * Server settings' Emoji tab: upload a custom emoji (a file, its name, a preview), and the list
 * with rename and delete. The list is the store's, which GUILD_EMOJIS_UPDATE keeps live.
 */
import DeleteIcon from "@mui/icons-material/DeleteOutlined";
import {
  Alert,
  Box,
  Button,
  IconButton,
  List,
  ListItem,
  ListItemAvatar,
  ListItemText,
  Stack,
  TextField,
  Tooltip,
  Typography,
} from "@mui/material";
import { useEffect, useState, type ChangeEvent } from "react";
import { errorText } from "../api/http";
import type { GuildEmoji } from "../api/types";
import { useClient } from "../services/context";
import { gatewayEvent } from "../store/actions";
import { useAppDispatch, useAppSelector } from "../store/index";
import { EMOJI_NAME, MAX_EMOJIS, MAX_EMOJI_BYTES, nameFromFile } from "../util/customEmoji";
import { CustomEmojiImage } from "./CustomEmoji";

const TYPES = "image/png,image/gif,image/webp,image/jpeg";
const NO_EMOJI: GuildEmoji[] = [];

function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("The file could not be read."));
    reader.readAsDataURL(file);
  });
}

function EmojiRow({ guildId, emoji }: { guildId: string; emoji: GuildEmoji }) {
  const client = useClient();
  const [name, setName] = useState(emoji.name);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function act(action: () => Promise<unknown>) {
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

  return (
    <ListItem
      data-testid="guild-emoji"
      data-emoji-id={emoji.id}
      secondaryAction={
        <Tooltip title={`Delete :${emoji.name}:`}>
          <span>
            <IconButton
              edge="end"
              aria-label={`Delete :${emoji.name}:`}
              disabled={busy}
              onClick={() => void act(() => client.ep.deleteEmoji(guildId, emoji.id))}
            >
              <DeleteIcon />
            </IconButton>
          </span>
        </Tooltip>
      }
    >
      <ListItemAvatar>
        <CustomEmojiImage id={emoji.id} name={emoji.name} size={32} />
      </ListItemAvatar>
      <ListItemText
        primary={
          <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
            <TextField
              size="small"
              value={name}
              onChange={(e) => setName(e.target.value)}
              slotProps={{ htmlInput: { "aria-label": `Name of :${emoji.name}:` } }}
              error={!EMOJI_NAME.test(name)}
            />
            {name !== emoji.name && (
              <Button
                size="small"
                disabled={busy || !EMOJI_NAME.test(name)}
                onClick={() => void act(() => client.ep.renameEmoji(guildId, emoji.id, name))}
              >
                Rename
              </Button>
            )}
          </Stack>
        }
        secondary={error}
        slotProps={{ secondary: { color: "error" } }}
      />
    </ListItem>
  );
}

export default function GuildEmojiSettings({ guildId }: { guildId: string }) {
  const client = useClient();
  const dispatch = useAppDispatch();
  const emojis = useAppSelector((s) => s.guilds.byId[guildId]?.emojis ?? NO_EMOJI);
  const [file, setFile] = useState<{ name: string; size: number; data: string } | null>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    client.ep
      .emojis(guildId)
      .then((list) => {
        if (live)
          dispatch(
            gatewayEvent({ t: "GUILD_EMOJIS_UPDATE", d: { guild_id: guildId, emojis: list } }),
          );
      })
      .catch((err) => live && setError(errorText(err)));
    return () => {
      live = false;
    };
  }, [client, dispatch, guildId]);

  async function choose(event: ChangeEvent<HTMLInputElement>) {
    const chosen = event.target.files?.[0];
    event.target.value = "";
    setError(null);
    if (!chosen) return;
    if (chosen.size > MAX_EMOJI_BYTES) {
      setFile(null);
      setError(`${chosen.name} is larger than 256 KB.`);
      return;
    }
    setFile({ name: chosen.name, size: chosen.size, data: await readAsDataUrl(chosen) });
    setName(nameFromFile(chosen.name));
  }

  async function upload() {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      await client.ep.createEmoji(guildId, { name, image: file.data });
      const list = await client.ep.emojis(guildId);
      dispatch(gatewayEvent({ t: "GUILD_EMOJIS_UPDATE", d: { guild_id: guildId, emojis: list } }));
      setFile(null);
      setName("");
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const full = emojis.length >= MAX_EMOJIS;
  return (
    <Stack spacing={2}>
      <Typography color="text.secondary">
        Custom emoji anyone in the server can use: PNG, GIF, WebP or JPEG, at most 256 KB. Names
        have 2 to 32 letters, digits or underscores.
      </Typography>
      {error && <Alert severity="error">{error}</Alert>}
      <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
        <Button component="label" variant="outlined" disabled={busy || full}>
          Choose image
          <input
            hidden
            type="file"
            accept={TYPES}
            aria-label="Emoji image"
            onChange={(e) => void choose(e)}
          />
        </Button>
        {file && (
          <Box
            component="img"
            src={file.data}
            alt="Preview"
            data-testid="emoji-preview"
            sx={{ width: 48, height: 48, objectFit: "contain" }}
          />
        )}
        <TextField
          size="small"
          label="Name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={name !== "" && !EMOJI_NAME.test(name)}
          slotProps={{ htmlInput: { "aria-label": "Emoji name" } }}
        />
        <Button
          variant="contained"
          disabled={busy || full || !file || !EMOJI_NAME.test(name)}
          onClick={() => void upload()}
        >
          Upload
        </Button>
      </Stack>
      <Typography variant="subtitle2" data-testid="emoji-count">
        {emojis.length} of {MAX_EMOJIS}
      </Typography>
      {emojis.length === 0 && (
        <Typography color="text.secondary">This server has no custom emoji yet.</Typography>
      )}
      <List dense>
        {emojis.map((e) => (
          // Keyed by the name too: a rename (here or elsewhere) starts the row afresh.
          <EmojiRow key={`${e.id}:${e.name}`} guildId={guildId} emoji={e} />
        ))}
      </List>
    </Stack>
  );
}
