import type { RefObject } from "react";
import { searchEmoji, useEmojiIndex, type EmojiEntry } from "../util/emoji";
import { EmojiGlyph } from "./CustomEmoji";
import { useCompletion, type Completer, type Completion } from "./useCompletion";

/** `:sho` right before the caret, at the start or after a space: a shortcode being typed. */
const SHORTCODE = /(?:^|\s):([a-z0-9_+-]{2,})$/i;

export interface EmojiInput extends Omit<Completion, "insert"> {
  /** Puts an emoji at the caret (over the selection). */
  insert: (emoji: EmojiEntry) => void;
}

/**
 * Emoji for a text field: insertion at the caret and `:shortcode:` completion, with any other
 * completions of the field (`more`) in the same suggestion list and keys.
 */
export function useEmojiInput(
  text: string,
  setText: (value: string) => void,
  input: RefObject<HTMLTextAreaElement | HTMLInputElement | null>,
  more: readonly Completer[] = [],
): EmojiInput {
  const index = useEmojiIndex();
  const emoji: Completer = {
    name: "Emoji suggestions",
    testId: "emoji-suggestions",
    title: (query) => `Emoji matching :${query}`,
    find: (before) => {
      const query = SHORTCODE.exec(before)?.[1];
      return query === undefined ? null : { start: before.length - query.length - 1, query };
    },
    suggest: (query) =>
      (index ? searchEmoji(index, query, 8) : []).map((e) => ({
        key: e.id,
        text: e.native,
        label: (
          <>
            <span style={{ fontSize: 20, marginRight: 12 }}>
              <EmojiGlyph emoji={e} size={20} />
            </span>
            :{e.id}:
          </>
        ),
      })),
  };
  const completion = useCompletion(text, setText, input, [emoji, ...more]);
  return { ...completion, insert: (e: EmojiEntry) => completion.insert(e.native) };
}
