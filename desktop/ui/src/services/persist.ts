// Where the session and read marks are remembered: localStorage in a browser; in the desktop
// shell, also the shell's JSON file in the user's config dir (through pywebview's js_api), so
// a session survives a cleared web profile.
//
// Sessions are kept per server, under the server's origin, and carry that origin: tokens saved
// for one server are never handed to another.

import type { Tokens } from "../api/http";
import type { User } from "../api/types";
import { originOf } from "../config";
import type { ReadMark } from "../store/readState";
import { shell, shellReady } from "./shell";

export interface SavedSession {
  /** The origin of the server that issued the tokens. */
  server: string;
  user: User;
  tokens: Tokens;
}

/** Older versions kept one session for whichever server was set: it cannot be told apart from
 * one a link planted, so it is dropped (the user signs in once more). */
const LEGACY_SESSION_KEY = "parley.session";

export function sessionKey(server: string): string {
  return `parley.session@${originOf(server) ?? server}`;
}

function parse(text: string | null, server: string): SavedSession | null {
  if (!text) return null;
  try {
    const saved = JSON.parse(text) as Partial<SavedSession>;
    const ok = saved.user && saved.tokens?.refreshToken && saved.server === originOf(server);
    return ok ? (saved as SavedSession) : null;
  } catch {
    return null;
  }
}

/** The session saved for this server; null when there is none (or only another server's). */
export async function loadSession(server: string): Promise<SavedSession | null> {
  let text: string | null = null;
  try {
    window.localStorage.removeItem(LEGACY_SESSION_KEY);
    text = window.localStorage.getItem(sessionKey(server));
  } catch {
    text = null;
  }
  const local = parse(text, server);
  if (local) return local;
  if (await shellReady()) return parse((await shell()?.load_session?.()) ?? null, server);
  return null;
}

/** Remember (or, with null, forget) the session of this server. */
export function saveSession(server: string, session: { user: User; tokens: Tokens } | null): void {
  const origin = originOf(server) ?? server;
  const text = session ? JSON.stringify({ server: origin, ...session }) : null;
  try {
    if (text) window.localStorage.setItem(sessionKey(server), text);
    else window.localStorage.removeItem(sessionKey(server));
  } catch {
    // Storage can be disabled (private mode): the session then lasts as long as the page.
  }
  void shell()?.save_session?.(text);
}

export function loadReadMarks(userId: string): Record<string, ReadMark> {
  try {
    return JSON.parse(window.localStorage.getItem(`parley.read.${userId}`) ?? "{}") as Record<
      string,
      ReadMark
    >;
  } catch {
    return {};
  }
}

export function saveReadMarks(userId: string, marks: Record<string, ReadMark>): void {
  try {
    window.localStorage.setItem(`parley.read.${userId}`, JSON.stringify(marks));
  } catch {
    // as above
  }
}
