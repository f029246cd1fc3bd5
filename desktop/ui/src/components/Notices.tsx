import { Alert, Box } from "@mui/material";
import { useEffect } from "react";
import { useAppDispatch, useAppSelector } from "../store/index";
import { NOTICE_MS, noticeDismissed, type Notice } from "../store/ui";

function NoticeItem({ notice }: { notice: Notice }) {
  const dispatch = useAppDispatch();
  useEffect(() => {
    const ms = notice.severity === "error" ? NOTICE_MS.error : NOTICE_MS.other;
    const timer = setTimeout(() => dispatch(noticeDismissed(notice.id)), ms);
    return () => clearTimeout(timer);
  }, [notice.id, notice.severity, dispatch]);
  return (
    <Alert
      severity={notice.severity}
      variant="filled"
      role="alert"
      onClose={() => dispatch(noticeDismissed(notice.id))}
      sx={{ pointerEvents: "auto", boxShadow: 3 }}
    >
      {notice.text}
    </Alert>
  );
}

/**
 * Errors and confirmations, in words, stacked at the top right, where they cover neither the
 * user bar nor the composer; each goes by itself after a few seconds or when closed.
 */
export default function Notices() {
  const notices = useAppSelector((s) => s.ui.notices);
  return (
    <Box
      data-testid="notices"
      sx={{
        position: "fixed",
        top: 48,
        right: 16,
        zIndex: (t) => t.zIndex.snackbar,
        display: "flex",
        flexDirection: "column",
        gap: 1,
        maxWidth: 400,
        pointerEvents: "none",
      }}
    >
      {notices.map((n) => (
        <NoticeItem key={n.id} notice={n} />
      ))}
    </Box>
  );
}
