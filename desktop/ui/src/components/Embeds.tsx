import { Box, Link, Paper, Typography } from "@mui/material";
import type { Embed } from "../api/types";
import { ViewableImage } from "./ImageViewer";

/** Only web links become links or images: an embed's URLs come from other people's pages. */
function webUrl(url: string | undefined): string | undefined {
  return url && /^https?:\/\//i.test(url) ? url : undefined;
}

function EmbedCard({ embed }: { embed: Embed }) {
  const url = webUrl(embed.url);
  const thumbnail = webUrl(embed.thumbnail?.url);
  if (embed.type === "image") {
    return thumbnail ? (
      <Box data-testid="embed" sx={{ mt: 0.5 }}>
        <ViewableImage
          src={thumbnail}
          alt={embed.title ?? "Image"}
          sx={{ maxWidth: 400, maxHeight: 300 }}
        />
      </Box>
    ) : null;
  }
  const color =
    embed.color !== undefined ? `#${embed.color.toString(16).padStart(6, "0")}` : "#1e1f22";
  return (
    <Paper
      variant="outlined"
      data-testid="embed"
      sx={{
        mt: 0.5,
        p: 1.5,
        maxWidth: 432,
        display: "flex",
        gap: 2,
        bgcolor: "#2b2d31",
        borderLeft: `4px solid ${color}`,
      }}
    >
      <Box sx={{ flex: 1, minWidth: 0 }}>
        {embed.provider?.name && (
          <Typography variant="caption" color="text.secondary" data-testid="embed-provider">
            {embed.provider.name}
          </Typography>
        )}
        {embed.title && (
          <Typography sx={{ fontWeight: 600 }} data-testid="embed-title">
            {url ? (
              <Link href={url} target="_blank" rel="noreferrer noopener">
                {embed.title}
              </Link>
            ) : (
              embed.title
            )}
          </Typography>
        )}
        {embed.description && (
          <Typography variant="body2" data-testid="embed-description" sx={{ mt: 0.5 }}>
            {embed.description}
          </Typography>
        )}
      </Box>
      {thumbnail && (
        <ViewableImage
          src={thumbnail}
          alt={embed.title ?? "Thumbnail"}
          sx={{ width: 80, height: 80, objectFit: "cover" }}
        />
      )}
    </Paper>
  );
}

/** A message's link previews, under its content. */
export default function Embeds({ embeds }: { embeds: Embed[] | undefined }) {
  if (!embeds?.length) return null;
  return (
    <Box data-testid="embeds">
      {embeds.map((embed, i) => (
        <EmbedCard key={`${embed.url ?? ""}-${i}`} embed={embed} />
      ))}
    </Box>
  );
}
