import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Provider } from "react-redux";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ParleyClient } from "../services/client";
import { ClientContext } from "../services/context";
import { makeStore } from "../store/index";
import NotificationPrefsPanel from "./NotificationPrefsPanel";

afterEach(cleanup);

/** A browser `Notification` whose permission starts at "default" and is asked through a spy. */
function fakeNotificationApi(answer: NotificationPermission) {
  const requestPermission = vi.fn(async () => {
    permission = answer;
    return answer;
  });
  let permission: NotificationPermission = "default";
  vi.stubGlobal(
    "Notification",
    Object.assign(function Notification() {}, {
      get permission() {
        return permission;
      },
      requestPermission,
    }),
  );
  return requestPermission;
}

function shown(inShell = false) {
  const store = makeStore();
  render(
    <Provider store={store}>
      <ClientContext.Provider value={{ inShell } as unknown as ParleyClient}>
        <NotificationPrefsPanel />
      </ClientContext.Provider>
    </Provider>,
  );
  return store;
}

describe("the notification switches", () => {
  beforeEach(() => vi.unstubAllGlobals());

  it("asks the browser's permission only from a click, and says when it is granted", async () => {
    const requestPermission = fakeNotificationApi("granted");
    shown();
    expect(requestPermission).not.toHaveBeenCalled(); // never on its own
    await userEvent.click(screen.getByRole("button", { name: "Allow" }));
    expect(requestPermission).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole("button", { name: "Allow" })).toBeNull();
  });

  it("says how to unblock a refusal", async () => {
    fakeNotificationApi("denied");
    shown();
    await userEvent.click(screen.getByRole("button", { name: "Allow" }));
    expect(await screen.findByText(/blocks notifications/)).toBeTruthy();
  });

  it("keeps each switch in the store; the shell needs no browser permission", async () => {
    const requestPermission = fakeNotificationApi("granted");
    const store = shown(true);
    expect(screen.queryByRole("button", { name: "Allow" })).toBeNull();
    await userEvent.click(screen.getByRole("switch", { name: "Notification sound" }));
    await userEvent.click(screen.getByRole("switch", { name: "Desktop notifications" }));
    expect(store.getState().notificationSettings.prefs).toEqual({ desktop: false, sound: false });
    await userEvent.click(screen.getByRole("switch", { name: "Desktop notifications" }));
    expect(store.getState().notificationSettings.prefs.desktop).toBe(true);
    expect(requestPermission).not.toHaveBeenCalled();
  });
});
