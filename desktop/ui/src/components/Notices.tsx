import { Alert, Snackbar, Stack } from "@mui/material";
import { useEffect } from "react";
import { useAppDispatch, useAppSelector } from "../store/index";
import { noticeDismissed } from "../store/ui";

/** Errors and confirmations, in words, bottom left; each stays until read (errors) or 6 s. */
export default function Notices() {
  const notices = useAppSelector((s) => s.ui.notices);
  const dispatch = useAppDispatch();
  useEffect(() => {
    const timers = notices
      .filter((n) => n.severity !== "error")
      .map((n) => setTimeout(() => dispatch(noticeDismissed(n.id)), 6000));
    return () => timers.forEach(clearTimeout);
  }, [notices, dispatch]);
  return (
    <Snackbar open={notices.length > 0} anchorOrigin={{ vertical: "bottom", horizontal: "left" }}>
      <Stack spacing={1}>
        {notices.map((n) => (
          <Alert
            key={n.id}
            severity={n.severity}
            variant="filled"
            role="alert"
            onClose={() => dispatch(noticeDismissed(n.id))}
          >
            {n.text}
          </Alert>
        ))}
      </Stack>
    </Snackbar>
  );
}
