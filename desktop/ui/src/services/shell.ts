// The desktop shell's bridge (pywebview's js_api, `window.pywebview.api`; desktop/shell.py):
// where the session is kept, which server the user chose, the shell's connection dialog, and
// desktop notifications.
// Absent in a plain browser.

import type { ServerConfig } from "../config";

export interface ShellApi {
  /** The session saved for the shell's current server (JSON), or null. */
  load_session(): Promise<string | null>;
  save_session(json: string | null): Promise<void>;
  /** The server the shell uses (given on its command line or confirmed by the user). */
  connection(): Promise<{ server: string; gateway: string | null } | null>;
  /** Ask the user, in a native dialog, to switch to this server; true if confirmed (the shell
   * then reloads the window on it). */
  choose_server(server: string, gateway: string | null): Promise<boolean>;
  /** Show a desktop notification through the operating system (the shell's tray icon). */
  notify(title: string, body: string): Promise<boolean>;
}

declare global {
  interface Window {
    pywebview?: { api?: Partial<ShellApi> };
  }
}

export function shell(): Partial<ShellApi> | undefined {
  return window.pywebview?.api;
}

/** Inside the desktop shell? pywebview injects its API after load: wait for it (briefly). */
export function shellReady(timeoutMs = 5000): Promise<boolean> {
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

/** The server the desktop shell hands the page; null in a plain browser. */
export async function shellConnection(): Promise<ServerConfig | null> {
  if (!(await shellReady())) return null;
  const given = await shell()?.connection?.();
  if (!given?.server) return null;
  return { server: given.server.replace(/\/+$/, ""), gateway: given.gateway || null };
}
