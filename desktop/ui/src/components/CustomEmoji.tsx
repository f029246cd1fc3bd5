/**
 * Custom emoji in the UI: the provider that puts the current guild's emoji beside the standard
 * set (picker, `:name` completion), and the image that shows one, falling back to `:name:` text
 * when the image cannot be loaded (a deleted emoji's link answers 404).
 */
import { Box } from "@mui/material";
import { useContext, useMemo, useState, type ReactNode } from "react";
import { useClient } from "../services/context";
import { useAppSelector } from "../store/index";
import { CustomEmojiContext, customCategory, type CustomEmojiSet } from "../util/customEmoji";
import type { EmojiEntry } from "../util/emoji";

const NO_EMOJI: never[] = [];

/** Gives everything below it the selected guild's custom emoji, kept live by the store. */
export function CustomEmojiProvider({ children }: { children: ReactNode }) {
  const client = useClient();
  const guild = useAppSelector((s) =>
    s.guilds.selected ? s.guilds.byId[s.guilds.selected] : null,
  );
  const emojis = guild?.emojis ?? NO_EMOJI;
  const name = guild?.name ?? "";
  const base = client.api.base;
  const value = useMemo<CustomEmojiSet>(
    () => ({
      category: customCategory(name, emojis),
      imageUrl: (id) => `${base}/emojis/${encodeURIComponent(id)}`,
    }),
    [name, emojis, base],
  );
  return <CustomEmojiContext.Provider value={value}>{children}</CustomEmojiContext.Provider>;
}

/** A custom emoji's image, by id; its name as `:name:` text if the image does not load. */
export function CustomEmojiImage({ id, name, size }: { id: string; name: string; size?: number }) {
  const { imageUrl } = useContext(CustomEmojiContext);
  const [failed, setFailed] = useState(false);
  const text = `:${name}:`;
  if (failed)
    return (
      <Box component="span" className="emoji custom-emoji-missing" title={text}>
        {text}
      </Box>
    );
  return (
    <Box
      component="img"
      className="emoji custom-emoji"
      src={imageUrl(id)}
      alt={text}
      title={text}
      draggable={false}
      onError={() => setFailed(true)}
      sx={{
        width: size ?? "1.375em",
        height: size ?? "1.375em",
        objectFit: "contain",
        verticalAlign: "bottom",
      }}
    />
  );
}

/** An emoji of the index as shown in lists: its character, or a custom one's image. */
export function EmojiGlyph({ emoji, size }: { emoji: EmojiEntry; size?: number }) {
  return emoji.custom ? (
    <CustomEmojiImage id={emoji.custom.id} name={emoji.name} size={size ?? 22} />
  ) : (
    <>{emoji.native}</>
  );
}
