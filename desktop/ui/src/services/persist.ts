// Where the session and read marks are remembered: localStorage in a browser; in the desktop
// shell, also the shell's JSON file in the user's config dir (through pywebview's js_api), so
// a session survives a cleared web profile.

import type { Tokens } from "../api/http";
import type { User } from "../api/types";
import type { ReadMark } from "../store/readState";

export interface SavedSession {
  user: User;
  tokens: Tokens;
}

interface ShellApi {
  load_session(): Promise<string | null>;
  save_session(json: string | null): Promise<void>;
}

declare global {
  interface Window {
    pywebview?: { api?: Partial<ShellApi> };
  }
}

const SESSION_KEY = "parley.session";

function shell(): Partial<ShellApi> | undefined {
  return window.pywebview?.api;
}

/** pywebview injects its API after load; wait for it briefly when we run inside the shell. */
export function shellReady(timeoutMs = 1500): Promise<boolean> {
  if (shell()?.load_session) return Promise.resolve(true);
  if (!navigator.userAgent.includes("QtWebEngine") && !("pywebview" in window))
    return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    window.addEventListener("pywebviewready", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function loadSession(): Promise<SavedSession | null> {
  let text: string | null = null;
  try {
    text = window.localStorage.getItem(SESSION_KEY);
  } catch {
    text = null;
  }
  if (!text && (await shellReady())) text = (await shell()?.load_session?.()) ?? null;
  if (!text) return null;
  try {
    const saved = JSON.parse(text) as SavedSession;
    return saved.user && saved.tokens?.refreshToken ? saved : null;
  } catch {
    return null;
  }
}

export function saveSession(session: SavedSession | null): void {
  const text = session ? JSON.stringify(session) : null;
  try {
    if (text) window.localStorage.setItem(SESSION_KEY, text);
    else window.localStorage.removeItem(SESSION_KEY);
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
