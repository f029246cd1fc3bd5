import OpenInNewIcon from "@mui/icons-material/OpenInNew";
import { Box, ButtonBase, Dialog, Link, Stack, type SxProps, type Theme } from "@mui/material";
import { useState } from "react";

/** An image shown small in the message list; a click opens it full size in a viewer (Escape
 * or a click outside closes it) with a link to the original. */
export function ViewableImage({ src, alt, sx }: { src: string; alt: string; sx?: SxProps<Theme> }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <ButtonBase
        onClick={() => setOpen(true)}
        aria-label={`View ${alt}`}
        sx={{ borderRadius: 1, overflow: "hidden", display: "inline-flex" }}
      >
        <Box component="img" src={src} alt={alt} sx={{ display: "block", ...sx }} />
      </ButtonBase>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        maxWidth={false}
        aria-label={`Image: ${alt}`}
        slotProps={{ paper: { sx: { bgcolor: "transparent", boxShadow: "none" } } }}
      >
        <Stack spacing={1} sx={{ alignItems: "flex-start" }} data-testid="image-viewer">
          <Box
            component="img"
            src={src}
            alt={alt}
            sx={{ maxWidth: "90vw", maxHeight: "80vh", objectFit: "contain", display: "block" }}
          />
          <Link
            href={src}
            target="_blank"
            rel="noreferrer"
            sx={{ display: "inline-flex", alignItems: "center", gap: 0.5, color: "#fff" }}
          >
            Open original <OpenInNewIcon fontSize="inherit" />
          </Link>
        </Stack>
      </Dialog>
    </>
  );
}
