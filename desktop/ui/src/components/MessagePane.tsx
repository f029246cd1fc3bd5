import TagIcon from "@mui/icons-material/Tag";
import { Alert, Box, Button, Divider, Typography } from "@mui/material";
import { AnimatePresence } from "framer-motion";
import {
  type ReactNode,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import { errorText } from "../api/http";
import type { Channel, Message } from "../api/types";
import { useClient } from "../services/context";
import { useAppDispatch, useAppSelector } from "../store/index";
import { displayName } from "../store/members";
import { historyFailed, historyLoaded, historyRequested } from "../store/messages";
import { usePermissions } from "../store/permissions";
import { typingUsers } from "../store/typing";
import { Permission, has } from "../util/permissions";
import { compareSnowflakes } from "../util/snowflake";
import { Loading } from "./common";
import Composer from "./Composer";
import { useFileDrop } from "./useFileDrop";
import MessageItem from "./MessageItem";
import OutgoingMessages from "./OutgoingMessages";

const PAGE_SIZE = 50;

/** A channel's messages and composer. A DM passes its own ``title`` (the other user, the group)
 *  and ``header`` (its actions) in place of a guild channel's `#name` and topic. */
export default function MessagePane({
  channel,
  title,
  header,
}: {
  channel: Channel;
  title?: string;
  header?: ReactNode;
}) {
  const label = title ?? `#${channel.name}`;
  const client = useClient();
  const dispatch = useAppDispatch();
  const state = useAppSelector((s) => s.messages.byChannel[channel.id]);
  const me = useAppSelector((s) => s.auth.user);
  const typing = useAppSelector((s) => s.typing);
  const users = useAppSelector((s) => s.members.users);
  const members = useAppSelector((s) =>
    channel.guild_id ? s.members.byGuild[channel.guild_id] : undefined,
  );
  const mark = useAppSelector((s) => s.readState.byChannel[channel.id]);
  const permissions = usePermissions(channel.guild_id, channel.id);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [dropped, setDropped] = useState<File[] | null>(null);
  const fileDrop = useFileDrop(setDropped);
  const [now, setNow] = useState(() => Date.now());
  const scroller = useRef<HTMLDivElement>(null);
  const content = useRef<HTMLDivElement>(null);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const stuckToBottom = useRef(true);
  const lastTop = useRef(0);
  // The read mark when the channel was opened: the "new" divider stays put while reading.
  const [unreadFrom] = useState(() => mark?.lastReadId ?? null);

  const ids = useMemo(() => state?.ids ?? [], [state?.ids]);
  const messages = useMemo(() => state?.byId ?? {}, [state?.byId]);
  const loading = state?.loading ?? false;

  const load = useCallback(
    async (before?: string) => {
      dispatch(historyRequested(channel.id));
      try {
        const page = await client.ep.messages(channel.id, before, PAGE_SIZE);
        dispatch(historyLoaded({ channelId: channel.id, messages: page, limit: PAGE_SIZE }));
      } catch (error) {
        dispatch(historyFailed({ channelId: channel.id, error: errorText(error) }));
      }
    },
    [client, channel.id, dispatch],
  );

  useEffect(() => {
    if (!state?.loaded && !state?.loading && !state?.error) void load();
  }, [state?.loaded, state?.loading, state?.error, load]);

  // Mark the channel read up to its newest message while it is open and the window has focus.
  const newest = ids.length > 0 ? ids[ids.length - 1] : null;
  useEffect(() => {
    const read = () => {
      if (newest && document.hasFocus()) client.markRead(channel.id, newest);
    };
    read();
    window.addEventListener("focus", read);
    return () => window.removeEventListener("focus", read);
  }, [newest, channel.id, client]);

  // Typing indicators expire by time: re-render while someone is typing.
  const typists = typingUsers(typing, channel.id, now);
  useEffect(() => {
    if (typists.length === 0) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [typists.length]);

  // Keep the view where the reader is: at the bottom for new messages, in place for history.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (anchor.current) {
      el.scrollTop = anchor.current.top + (el.scrollHeight - anchor.current.height);
      anchor.current = null;
    } else if (stuckToBottom.current) el.scrollTop = el.scrollHeight;
  }, [ids]);

  // What grows after it is shown (an image loading, a reaction, an embed) keeps a reader who was
  // at the bottom there: a channel opens at its newest message and stays on it.
  useEffect(() => {
    const el = scroller.current;
    const inner = content.current;
    if (!el || !inner || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (stuckToBottom.current && !anchor.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(inner);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    // Only a move up lets go of the bottom: content that grew below the view (an image that
    // loaded before this event came) leaves the reader where they were, at the newest message.
    const movedUp = el.scrollTop < lastTop.current;
    lastTop.current = el.scrollTop;
    stuckToBottom.current =
      el.scrollHeight - el.scrollTop - el.clientHeight < 40 || (stuckToBottom.current && !movedUp);
    if (el.scrollTop < 150 && state?.hasMore && !loading && state?.loaded && ids.length > 0) {
      anchor.current = { height: el.scrollHeight, top: el.scrollTop };
      void load(ids[0]);
    }
  }

  const lastOwn = useMemo(() => {
    for (let i = ids.length - 1; i >= 0; i -= 1)
      if (messages[ids[i]]?.author.id === me?.id) return ids[i];
    return null;
  }, [ids, messages, me?.id]);

  const dividerId = useMemo(
    () =>
      unreadFrom === null
        ? null
        : (ids.find(
            (id) => messages[id]?.author.id !== me?.id && compareSnowflakes(id, unreadFrom) > 0,
          ) ?? null),
    [ids, messages, me?.id, unreadFrom],
  );
  return (
    <Box
      component="main"
      aria-label={label}
      sx={{ flex: 1, display: "flex", flexDirection: "column", minWidth: 0, position: "relative" }}
      {...fileDrop.handlers}
    >
      {fileDrop.overlay}
      <Box
        sx={{
          height: 48,
          px: 2,
          display: "flex",
          alignItems: "center",
          gap: 1,
          borderBottom: "1px solid #1f2023",
        }}
      >
        {header ?? (
          <>
            <TagIcon color="disabled" />
            <Typography sx={{ fontWeight: 700 }} data-testid="channel-title">
              {channel.name}
            </Typography>
            {channel.topic && (
              <>
                <Divider orientation="vertical" flexItem sx={{ mx: 1 }} />
                <Typography variant="body2" color="text.secondary" noWrap>
                  {channel.topic}
                </Typography>
              </>
            )}
          </>
        )}
      </Box>
      <Box
        ref={scroller}
        onScroll={onScroll}
        data-testid="message-list"
        role="log"
        aria-live="polite"
        sx={{ flex: 1, overflowY: "auto", py: 1 }}
      >
        <Box ref={content}>
          {state?.loaded && !state.hasMore && (
            <Box sx={{ px: 2, py: 3 }}>
              <Typography variant="h5" sx={{ fontWeight: 700 }}>
                Welcome to {label}!
              </Typography>
              <Typography color="text.secondary">This is the start of the channel.</Typography>
            </Box>
          )}
          {loading && <Loading label="Loading messages…" />}
          {state?.error && (
            <Alert
              severity="error"
              sx={{ m: 2 }}
              action={
                <Button color="inherit" size="small" onClick={() => void load(ids[0])}>
                  Retry
                </Button>
              }
            >
              Could not load messages: {state.error}
            </Alert>
          )}
          <AnimatePresence initial={false}>
            {ids.map((id, index) => {
              const message = messages[id];
              const previous = index > 0 ? messages[ids[index - 1]] : undefined;
              return (
                <MessageItem
                  key={id}
                  message={message}
                  replied={(() => {
                    const target = message.reply_to ?? message.message_reference?.message_id;
                    return target ? (messages[target] ?? message.referenced_message ?? null) : null;
                  })()}
                  grouped={
                    !!previous &&
                    previous.author.id === message.author.id &&
                    !message.reply_to &&
                    Date.parse(message.timestamp) - Date.parse(previous.timestamp) < 5 * 60_000
                  }
                  newDivider={id === dividerId}
                  mine={message.author.id === me?.id}
                  canManage={has(permissions, Permission.MANAGE_MESSAGES)}
                  canReact={has(permissions, Permission.ADD_REACTIONS)}
                  meId={me?.id}
                  editing={editingId === id}
                  onEdit={() => setEditingId(id)}
                  onEditDone={() => setEditingId(null)}
                  onReply={() => setReplyTo(message)}
                />
              );
            })}
          </AnimatePresence>
          <OutgoingMessages channelId={channel.id} />
        </Box>
      </Box>
      <Box sx={{ height: 22, px: 2 }} aria-live="polite" data-testid="typing">
        {typists.length > 0 && (
          <Typography variant="caption" color="text.secondary">
            {typists
              .slice(0, 3)
              .map((id) => displayName(users[id], members?.[id]))
              .join(", ")}
            {typists.length === 1 ? " is typing…" : " are typing…"}
          </Typography>
        )}
      </Box>
      <Composer
        channel={channel}
        label={label}
        replyTo={replyTo}
        onCancelReply={() => setReplyTo(null)}
        onEditLast={() => lastOwn && setEditingId(lastOwn)}
        dropped={dropped}
      />
    </Box>
  );
}
