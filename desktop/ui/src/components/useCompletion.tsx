import { MenuItem, MenuList, Paper, Popper, Typography } from "@mui/material";
import {
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
  type RefObject,
  type SyntheticEvent,
} from "react";
import { spliceCompletion } from "../util/completion";

/** One row of a suggestion list. */
export interface Suggestion {
  key: string;
  /** What replaces the word being completed. */
  text: string;
  label: ReactNode;
}

/** One kind of completion in a text field (`:shortcode:`, `@mention`, `#channel`). */
export interface Completer {
  /** Names the list (its accessible name and test id). */
  name: string;
  testId: string;
  /** The word being completed right before the caret: where it starts and what is typed. */
  find: (before: string) => { start: number; query: string } | null;
  suggest: (query: string) => Suggestion[];
  title: (query: string) => string;
  /** Whether a space follows what is put in (so that the next word starts apart). */
  spaced?: boolean;
  /** Told when the word being completed changes (a search may start). */
  onQuery?: (query: string) => void;
  /** Told when a suggestion is chosen. */
  onPick?: (picked: Suggestion) => void;
}

export interface Completion {
  /** Puts text at the caret (over the selection). */
  insert: (value: string) => void;
  /** The field's keys first: true when a suggestion list took the key. */
  keyDown: (event: KeyboardEvent) => boolean;
  /** Follows the caret. */
  select: (event: SyntheticEvent) => void;
  /** The suggestion list for the word being completed, or nothing. */
  suggestions: ReactNode;
}

/**
 * Completion in a text field: the first completer that recognises the word before the caret
 * shows its suggestions above the field; arrows move, Enter or Tab picks, Escape closes,
 * a click picks.
 */
export function useCompletion(
  text: string,
  setText: (value: string) => void,
  input: RefObject<HTMLTextAreaElement | HTMLInputElement | null>,
  completers: readonly Completer[],
): Completion {
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

  const before = text.slice(0, caret);
  let completer: Completer | null = null;
  let word: { start: number; query: string } | null = null;
  for (const c of completers) {
    word = c.find(before);
    if (word) {
      completer = c;
      break;
    }
  }
  const wordKey = word && completer ? `${completer.name}:${word.start}:${word.query}` : null;
  const live = wordKey !== null && wordKey !== dismissed ? word : null;
  const matches = live && completer ? completer.suggest(live.query) : [];
  const open = matches.length > 0;
  const chosen = Math.min(active, matches.length - 1);

  const onQuery = completer?.onQuery;
  const query = live?.query ?? null;
  useEffect(() => {
    if (query !== null) onQuery?.(query);
  }, [onQuery, query]);

  function put(from: number, to: number, value: string, spaced: boolean) {
    const done = spaced
      ? spliceCompletion(text, from, to, value)
      : { text: text.slice(0, from) + value + text.slice(to), caret: from + value.length };
    moveCaretTo.current = done.caret;
    setCaret(done.caret);
    setActive(0);
    setText(done.text);
  }

  function insert(value: string) {
    const el = input.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? start;
    put(start, end, value, false);
  }

  function complete(picked: Suggestion) {
    if (!live || !completer) return;
    completer.onPick?.(picked);
    put(live.start, caret, picked.text, completer.spaced ?? false);
  }

  function keyDown(event: KeyboardEvent): boolean {
    if (!open || event.nativeEvent.isComposing) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((chosen + step + matches.length) % matches.length);
    } else if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
      complete(matches[chosen]);
    } else if (event.key === "Escape") {
      setDismissed(wordKey);
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
          {completer && live ? completer.title(live.query) : ""}
        </Typography>
        <MenuList dense aria-label={completer?.name} data-testid={completer?.testId}>
          {matches.map((suggestion, i) => (
            <MenuItem
              key={suggestion.key}
              selected={i === chosen}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => complete(suggestion)}
            >
              {suggestion.label}
            </MenuItem>
          ))}
        </MenuList>
      </Paper>
    </Popper>
  );

  return { insert, keyDown, select, suggestions };
}
