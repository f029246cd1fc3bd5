import type { EmojiMartData } from "@emoji-mart/data";
import { useContext, useEffect, useMemo, useState } from "react";
import { CustomEmojiContext } from "./customEmoji";

/** One emoji of the data set: its shortcode (`id`, as in `:id:`), name and character. */
export interface EmojiEntry {
  id: string;
  name: string;
  native: string;
  keywords: string[];
  /** Set for a guild's custom emoji: `native` is then its `<:name:id>` text. */
  custom?: { id: string; animated: boolean };
}

export interface EmojiCategory {
  id: string;
  label: string;
  emojis: EmojiEntry[];
}

export interface EmojiIndex {
  categories: EmojiCategory[];
  all: EmojiEntry[];
}

/** Words for the data set's category ids. */
const CATEGORY_LABELS: Record<string, string> = {
  people: "Smileys & people",
  nature: "Animals & nature",
  foods: "Food & drink",
  activity: "Activities",
  places: "Travel & places",
  objects: "Objects",
  symbols: "Symbols",
  flags: "Flags",
};

/** Shapes Emoji Mart's data (skin tones dropped: the default tone is offered). */
export function buildIndex(data: EmojiMartData): EmojiIndex {
  const entries = new Map<string, EmojiEntry>();
  for (const emoji of Object.values(data.emojis)) {
    const native = emoji.skins[0]?.native;
    if (native)
      entries.set(emoji.id, { id: emoji.id, name: emoji.name, native, keywords: emoji.keywords });
  }
  const categories = data.categories.map((c) => ({
    id: c.id,
    label: CATEGORY_LABELS[c.id] ?? c.id,
    emojis: c.emojis.flatMap((id) => entries.get(id) ?? []),
  }));
  return { categories, all: categories.flatMap((c) => c.emojis) };
}

let loading: Promise<EmojiIndex> | null = null;

/** The emoji data set, loaded once and on first use (it is a separate chunk of the build). */
export function loadEmoji(): Promise<EmojiIndex> {
  loading ??= import("@emoji-mart/data").then((m) =>
    buildIndex((m.default ?? m) as unknown as EmojiMartData),
  );
  return loading;
}

/** The data set once it has loaded, the current guild's custom emoji first; null until then. */
export function useEmojiIndex(): EmojiIndex | null {
  const standard = useStandardEmojiIndex();
  const { category } = useContext(CustomEmojiContext);
  return useMemo(
    () =>
      standard && category
        ? {
            categories: [category, ...standard.categories],
            all: [...category.emojis, ...standard.all],
          }
        : standard,
    [standard, category],
  );
}

function useStandardEmojiIndex(): EmojiIndex | null {
  const [index, setIndex] = useState<EmojiIndex | null>(null);
  useEffect(() => {
    let live = true;
    void loadEmoji().then((loaded) => {
      if (live) setIndex(loaded);
    });
    return () => {
      live = false;
    };
  }, []);
  return index;
}

/**
 * Emoji matching what was typed: shortcodes that start with it first, then shortcodes, names
 * and keywords that contain it.
 */
export function searchEmoji(index: EmojiIndex, query: string, limit = 100): EmojiEntry[] {
  const q = query.trim().toLowerCase().replace(/^:|:$/g, "");
  if (!q) return [];
  const starts: EmojiEntry[] = [];
  const contains: EmojiEntry[] = [];
  for (const emoji of index.all) {
    const id = emoji.id.toLowerCase();
    if (id.startsWith(q)) starts.push(emoji);
    else if (
      id.includes(q) ||
      emoji.name.toLowerCase().includes(q) ||
      emoji.keywords.some((k) => k.startsWith(q))
    )
      contains.push(emoji);
  }
  return [...starts, ...contains].slice(0, limit);
}
