import { useEffect, useState } from "react";
import { nextMuteEnd } from "../services/notifications";
import { useAppSelector } from "../store/index";

/** The time (ms) to judge mutes by: it moves on when the next mute ends, so that a mute that
 * ended shows as ended without a reload. */
export function useMuteClock(): number {
  const byGuild = useAppSelector((s) => s.notificationSettings.byGuild);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const current = Date.now();
    const next = nextMuteEnd(byGuild, current);
    if (next === null) return;
    const timer = setTimeout(() => setNow(Date.now()), next - current + 50);
    return () => clearTimeout(timer);
  }, [byGuild, now]);
  return now;
}
