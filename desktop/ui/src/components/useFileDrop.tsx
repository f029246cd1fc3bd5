import { Box, Typography } from "@mui/material";
import { useState, type DragEvent, type ReactNode } from "react";

function carriesFiles(event: DragEvent) {
  return Array.from(event.dataTransfer?.types ?? []).includes("Files");
}

/** Files dropped on an element: spread ``handlers`` on it and render ``overlay`` inside it
 * (it needs ``position: relative``). */
export function useFileDrop(onFiles: (files: File[]) => void): {
  handlers: {
    onDragOver: (e: DragEvent) => void;
    onDragLeave: (e: DragEvent) => void;
    onDrop: (e: DragEvent) => void;
  };
  overlay: ReactNode;
} {
  const [over, setOver] = useState(false);
  return {
    handlers: {
      onDragOver(e) {
        if (!carriesFiles(e)) return;
        e.preventDefault();
        setOver(true);
      },
      onDragLeave(e) {
        if (e.currentTarget === e.target) setOver(false);
      },
      onDrop(e) {
        setOver(false);
        const files = Array.from(e.dataTransfer?.files ?? []);
        if (files.length === 0) return;
        e.preventDefault();
        onFiles(files);
      },
    },
    overlay: over ? (
      <Box
        data-testid="drop-overlay"
        sx={{
          position: "absolute",
          inset: 8,
          border: "2px dashed #5865f2",
          borderRadius: 2,
          bgcolor: "rgba(88, 101, 242, 0.15)",
          display: "flex",
          alignItems: "center",
          justifyContent: "center",
          pointerEvents: "none",
          zIndex: 10,
        }}
      >
        <Typography variant="h6">Drop to upload</Typography>
      </Box>
    ) : null,
  };
}

/** The image files a paste carries (a screenshot copied, an image copied from a page). */
export function pastedFiles(data: DataTransfer | null): File[] {
  return Array.from(data?.files ?? []);
}
