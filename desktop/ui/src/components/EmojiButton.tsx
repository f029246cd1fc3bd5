import EmojiIcon from "@mui/icons-material/EmojiEmotionsOutlined";
import { IconButton, Popover, Tooltip } from "@mui/material";
import { useState } from "react";
import type { EmojiEntry } from "../util/emoji";
import EmojiPicker from "./EmojiPicker";

/** The composer's emoji button: the picker in a popover above it. */
export default function EmojiButton({ onPick }: { onPick: (emoji: EmojiEntry) => void }) {
  const [at, setAt] = useState<HTMLElement | null>(null);
  return (
    <>
      <Tooltip title="Emoji">
        <IconButton aria-label="Emoji" onClick={(e) => setAt(e.currentTarget)}>
          <EmojiIcon />
        </IconButton>
      </Tooltip>
      <Popover
        open={at !== null}
        anchorEl={at}
        onClose={() => setAt(null)}
        anchorOrigin={{ vertical: "top", horizontal: "right" }}
        transformOrigin={{ vertical: "bottom", horizontal: "right" }}
        disableRestoreFocus
      >
        <EmojiPicker
          onPick={(emoji) => {
            setAt(null);
            onPick(emoji);
          }}
        />
      </Popover>
    </>
  );
}
