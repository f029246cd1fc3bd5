import SearchIcon from "@mui/icons-material/Search";
import { Box, InputAdornment, TextField, Typography } from "@mui/material";
import { useMemo, useRef, useState } from "react";
import { searchEmoji, useEmojiIndex, type EmojiEntry } from "../util/emoji";
import { Loading } from "./common";
import { EmojiGlyph } from "./CustomEmoji";

function EmojiGrid({ emojis, onPick }: { emojis: EmojiEntry[]; onPick: (e: EmojiEntry) => void }) {
  return (
    <Box sx={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, 36px)" }}>
      {emojis.map((emoji) => (
        <button
          key={emoji.custom?.id ?? emoji.id}
          type="button"
          className="emoji"
          aria-label={emoji.name}
          title={`:${emoji.id}:`}
          data-custom-emoji={emoji.custom?.id}
          onClick={() => onPick(emoji)}
        >
          {/* (plain text for the standard set: a component each would slow the grid) */}
          {emoji.custom ? <EmojiGlyph emoji={emoji} /> : emoji.native}
        </button>
      ))}
    </Box>
  );
}

/**
 * The full emoji set (Emoji Mart's data) by category, the current server's custom emoji first in
 * a category of their own, with a search over shortcodes, names and keywords. Shown in a popover
 * by the reaction button and the composer's emoji button.
 */
export default function EmojiPicker({ onPick }: { onPick: (emoji: EmojiEntry) => void }) {
  const index = useEmojiIndex();
  const [query, setQuery] = useState("");
  const list = useRef<HTMLDivElement>(null);
  const found = useMemo(() => (index ? searchEmoji(index, query, 180) : []), [index, query]);

  function jump(id: string) {
    const section = list.current?.querySelector<HTMLElement>(`[data-category="${id}"]`);
    if (list.current && section) list.current.scrollTop = section.offsetTop;
  }

  return (
    <Box
      role="group"
      aria-label="Emoji picker"
      data-testid="emoji-picker"
      sx={{
        width: 352,
        p: 1,
        "& button.emoji": {
          width: 36,
          height: 36,
          fontSize: 22,
          lineHeight: 1,
          border: 0,
          borderRadius: 1,
          bgcolor: "transparent",
          cursor: "pointer",
          p: 0,
          fontFamily: '"Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji", sans-serif',
        },
        "& button.emoji:hover, & button.emoji:focus-visible": { bgcolor: "rgba(255,255,255,0.1)" },
      }}
    >
      <TextField
        size="small"
        fullWidth
        autoFocus
        placeholder="Find an emoji"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && found[0]) {
            e.preventDefault();
            onPick(found[0]);
          }
        }}
        slotProps={{
          htmlInput: { "aria-label": "Search emoji" },
          input: {
            startAdornment: (
              <InputAdornment position="start">
                <SearchIcon fontSize="small" />
              </InputAdornment>
            ),
          },
        }}
      />
      {!index ? (
        <Loading label="Loading emoji…" />
      ) : (
        <>
          {!query && (
            <Box
              role="tablist"
              aria-label="Emoji categories"
              sx={{ display: "flex", justifyContent: "space-between", my: 0.5 }}
            >
              {index.categories.map((c) => (
                <button
                  key={c.id}
                  type="button"
                  role="tab"
                  aria-selected={false}
                  className="emoji"
                  aria-label={c.label}
                  title={c.label}
                  onClick={() => jump(c.id)}
                >
                  {c.emojis[0] && <EmojiGlyph emoji={c.emojis[0]} />}
                </button>
              ))}
            </Box>
          )}
          <Box
            ref={list}
            sx={{
              height: 300,
              overflowY: "auto",
              overflowX: "hidden",
              position: "relative",
              mt: 0.5,
            }}
          >
            {query ? (
              found.length > 0 ? (
                <EmojiGrid emojis={found} onPick={onPick} />
              ) : (
                <Typography color="text.secondary" sx={{ p: 2 }}>
                  No emoji match “{query}”.
                </Typography>
              )
            ) : (
              index.categories.map((c) => (
                <Box key={c.id} data-category={c.id} component="section" aria-label={c.label}>
                  <Typography
                    variant="caption"
                    color="text.secondary"
                    sx={{ display: "block", fontWeight: 700, px: 0.5, py: 0.5 }}
                  >
                    {c.label}
                  </Typography>
                  <EmojiGrid emojis={c.emojis} onPick={onPick} />
                </Box>
              ))
            )}
          </Box>
        </>
      )}
    </Box>
  );
}
