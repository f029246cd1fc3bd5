/**
 * A guild's custom emoji beside the standard set: as entries of the emoji index (their `native`
 * is the `<:name:id>` text a message carries), their image links, and reactions' keys.
 */
import { createContext } from "react";
import type { Emoji, GuildEmoji } from "../api/types";
import type { EmojiCategory, EmojiEntry } from "./emoji";

/** What the app knows of the current guild's custom emoji (none outside a guild). */
export interface CustomEmojiSet {
  /** The category shown first in the picker, or null when the guild has none. */
  category: EmojiCategory | null;
  /** The image link of a custom emoji, by id (`GET /emojis/{id}`). */
  imageUrl: (id: string) => string;
}

export const CustomEmojiContext = createContext<CustomEmojiSet>({
  category: null,
  imageUrl: (id) => `/api/v1/emojis/${id}`,
});

/** The text a message carries for a custom emoji (Discord's form). */
export function emojiText(emoji: { id: string; name: string; animated?: boolean }): string {
  return `<${emoji.animated ? "a" : ""}:${emoji.name}:${emoji.id}>`;
}

/** The guild's custom emoji as index entries, in a category named after the guild. */
export function customCategory(guildName: string, emojis: GuildEmoji[]): EmojiCategory | null {
  if (emojis.length === 0) return null;
  const entries: EmojiEntry[] = emojis.map((e) => ({
    id: e.name,
    name: e.name,
    native: emojiText(e),
    keywords: [],
    custom: { id: e.id, animated: Boolean(e.animated) },
  }));
  return { id: "custom", label: guildName, emojis: entries };
}

/** How a reaction names its emoji in the route: `name:id` for a custom one. */
export function reactionKey(emoji: Emoji): string {
  return emoji.id ? `${emoji.name}:${emoji.id}` : emoji.name;
}

/** A picked entry as a reaction's emoji. */
export function entryEmoji(entry: EmojiEntry): Emoji {
  return entry.custom
    ? { id: entry.custom.id, name: entry.name }
    : { id: null, name: entry.native };
}

/** The server's limits (docs/protocol.md, "Custom emoji"). */
export const MAX_EMOJIS = 50;
export const MAX_EMOJI_BYTES = 256 * 1024;
export const EMOJI_NAME = /^[A-Za-z0-9_]{2,32}$/;

/** A name the server takes, made from a file's name: `party-parrot.gif` → `party_parrot`. */
export function nameFromFile(file: string): string {
  const stem = file.replace(/\.[^.]*$/, "").replace(/[^A-Za-z0-9_]+/g, "_");
  return stem
    .replace(/^_+|_+$/g, "")
    .slice(0, 32)
    .padEnd(2, "_");
}
