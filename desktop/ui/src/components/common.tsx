import { Avatar, Badge, Box, CircularProgress, Typography } from "@mui/material";
import type { PresenceStatus, User } from "../api/types";
import { STATUS_COLOR, colorFor } from "../util/format";

export function UserAvatar({
  user,
  size = 36,
  status,
  speaking = false,
}: {
  user: User | undefined;
  size?: number;
  status?: PresenceStatus;
  speaking?: boolean;
}) {
  const name = user?.global_name || user?.username || "?";
  const avatar = (
    <Avatar
      sx={{
        width: size,
        height: size,
        bgcolor: colorFor(user?.id ?? name),
        fontSize: size * 0.45,
        outline: speaking ? "2px solid #23a55a" : "none",
        outlineOffset: 1,
        transition: "outline-color 120ms",
      }}
      alt={name}
    >
      {name.slice(0, 1).toUpperCase()}
    </Avatar>
  );
  if (!status) return avatar;
  return (
    <Badge
      overlap="circular"
      anchorOrigin={{ vertical: "bottom", horizontal: "right" }}
      variant="dot"
      aria-label={status}
      sx={{
        "& .MuiBadge-badge": {
          bgcolor: STATUS_COLOR[status],
          width: 10,
          height: 10,
          borderRadius: "50%",
          border: "2px solid #2b2d31",
        },
      }}
    >
      {avatar}
    </Badge>
  );
}

export function Loading({ label }: { label: string }) {
  return (
    <Box sx={{ display: "flex", alignItems: "center", gap: 1, p: 2 }} aria-busy="true">
      <CircularProgress size={18} />
      <Typography variant="body2" color="text.secondary">
        {label}
      </Typography>
    </Box>
  );
}
