import ErrorOutlineIcon from "@mui/icons-material/ErrorOutlineOutlined";
import { Box, Button, Stack, Typography } from "@mui/material";
import { useEffect, useRef } from "react";
import type { Snowflake } from "../api/types";
import { useClient } from "../services/context";
import { useAppSelector } from "../store/index";
import type { OutgoingMessage } from "../store/outbox";

const NONE: OutgoingMessage[] = [];

/** The user's messages the server has not taken yet, below the channel's messages: greyed
 * while on their way, and when refused, with why and Retry / Delete. */
export default function OutgoingMessages({ channelId }: { channelId: Snowflake }) {
  const outgoing = useAppSelector((s) => s.outbox.byChannel[channelId] ?? NONE);
  return (
    <>
      {outgoing.map((m) => (
        <Outgoing key={m.nonce} message={m} />
      ))}
    </>
  );
}

function Outgoing({ message }: { message: OutgoingMessage }) {
  const client = useClient();
  const me = useAppSelector((s) => s.auth.user);
  const box = useRef<HTMLDivElement>(null);
  const failed = message.status === "failed";

  // A new line at the bottom of the list: keep it in view, as a sent message is.
  useEffect(() => {
    box.current?.scrollIntoView?.({ block: "nearest" });
  }, [failed]);

  return (
    <Box
      ref={box}
      data-testid="outgoing-message"
      data-status={message.status}
      aria-busy={!failed}
      sx={{ px: 2, py: 0.5, "&:hover": { bgcolor: "rgba(0,0,0,0.06)" } }}
    >
      <Typography variant="body2" sx={{ fontWeight: 600 }}>
        {me?.global_name ?? me?.username}
      </Typography>
      <Typography
        data-testid="outgoing-content"
        sx={{
          whiteSpace: "pre-wrap",
          overflowWrap: "anywhere",
          color: failed ? "error.light" : "text.secondary",
        }}
      >
        {message.content}
      </Typography>
      {failed ? (
        <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
          <ErrorOutlineIcon color="error" fontSize="small" />
          <Typography variant="caption" color="error.light" data-testid="outgoing-error">
            Not sent: {message.error}
          </Typography>
          <Button
            size="small"
            onClick={() => void client.outbox.retry(message.channelId, message.nonce)}
          >
            Retry
          </Button>
          <Button
            size="small"
            color="inherit"
            onClick={() => client.outbox.discard(message.channelId, message.nonce)}
          >
            Delete
          </Button>
        </Stack>
      ) : (
        <Typography variant="caption" color="text.secondary">
          Sending…
        </Typography>
      )}
    </Box>
  );
}
