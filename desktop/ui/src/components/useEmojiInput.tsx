import { MenuItem, MenuList, Paper, Popper, Typography } from "@mui/material";
import {
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
  type RefObject,
  type SyntheticEvent,
} from "react";
import { searchEmoji, useEmojiIndex, type EmojiEntry } from "../util/emoji";
import { EmojiGlyph } from "./CustomEmoji";

/** `:sho` right before the caret, at the start or after a space: a shortcode being typed. */
const SHORTCODE = /(?:^|\s):([a-z0-9_+-]{2,})$/i;

export interface EmojiInput {
  /** Puts an emoji at the caret (over the selection). */
  insert: (emoji: EmojiEntry) => void;
  /** The composer's keys first: true when a suggestion list took the key. */
  keyDown: (event: KeyboardEvent) => boolean;
  /** Follows the caret. */
  select: (event: SyntheticEvent) => void;
  /** The suggestion list for a `:shortcode` being typed, or nothing. */
  suggestions: ReactNode;
}

/** Emoji for a text field: insertion at the caret and `:shortcode:` completion. */
export function useEmojiInput(
  text: string,
  setText: (value: string) => void,
  input: RefObject<HTMLTextAreaElement | HTMLInputElement | null>,
): EmojiInput {
  const index = useEmojiIndex();
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<string | null>(null);
  const moveCaretTo = useRef<number | null>(null);

  useLayoutEffect(() => {
    const el = input.current;
    if (el && moveCaretTo.current !== null) {
      el.focus();
      el.setSelectionRange(moveCaretTo.current, moveCaretTo.current);
      moveCaretTo.current = null;
    }
  }, [text, input]);

  const typed = SHORTCODE.exec(text.slice(0, caret))?.[1] ?? null;
  const query = typed !== null && typed !== dismissed ? typed : null;
  const matches = query && index ? searchEmoji(index, query, 8) : [];
  const open = matches.length > 0;

  function replace(from: number, to: number, emoji: EmojiEntry) {
    const next = text.slice(0, from) + emoji.native + text.slice(to);
    moveCaretTo.current = from + emoji.native.length;
    setCaret(from + emoji.native.length);
    setActive(0);
    setText(next);
  }

  function insert(emoji: EmojiEntry) {
    const el = input.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? start;
    replace(start, end, emoji);
  }

  function complete(emoji: EmojiEntry) {
    if (query === null) return;
    replace(caret - query.length - 1, caret, emoji);
  }

  function keyDown(event: KeyboardEvent): boolean {
    if (!open || event.nativeEvent.isComposing) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((active + step + matches.length) % matches.length);
    } else if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
      complete(matches[Math.min(active, matches.length - 1)]);
    } else if (event.key === "Escape") {
      setDismissed(query);
    } else return false;
    event.preventDefault();
    return true;
  }

  function select(event: SyntheticEvent) {
    const el = event.target as HTMLTextAreaElement;
    if (el.selectionStart !== caret) setActive(0);
    setCaret(el.selectionStart ?? 0);
  }

  const suggestions = (
    <Popper
      open={open}
      anchorEl={() => input.current as HTMLElement}
      placement="top-start"
      sx={{ zIndex: 1300 }}
    >
      <Paper elevation={6} sx={{ mb: 1, minWidth: 260 }}>
        <Typography
          variant="caption"
          color="text.secondary"
          sx={{ display: "block", px: 2, pt: 1 }}
        >
          Emoji matching :{query}
        </Typography>
        <MenuList dense aria-label="Emoji suggestions" data-testid="emoji-suggestions">
          {matches.map((emoji, i) => (
            <MenuItem
              key={emoji.id}
              selected={i === Math.min(active, matches.length - 1)}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => complete(emoji)}
            >
              <span style={{ fontSize: 20, marginRight: 12 }}>
                <EmojiGlyph emoji={emoji} size={20} />
              </span>
              :{emoji.id}:
            </MenuItem>
          ))}
        </MenuList>
      </Paper>
    </Popper>
  );

  return { insert, keyDown, select, suggestions };
}
