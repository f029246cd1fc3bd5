import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Provider } from "react-redux";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Channel } from "../api/types";
import type { ParleyClient } from "../services/client";
import { ClientContext } from "../services/context";
import { guildLoaded, sessionStarted } from "../store/actions";
import { guildSelected } from "../store/guilds";
import { makeStore } from "../store/index";
import { membersLoaded } from "../store/members";
import HomeView from "./HomeView";

afterEach(cleanup);

const ME = "100";
const PEOPLE = Array.from({ length: 10 }, (_, i) => ({ id: `${200 + i}`, username: `user${i}` }));

function shown(createGroupDm: (ids: string[], name?: string) => Promise<Channel>) {
  const store = makeStore();
  store.dispatch(sessionStarted({ user: { id: ME, username: "me" } }));
  store.dispatch(guildLoaded({ id: "1", name: "Club", owner_id: ME, channels: [] }));
  store.dispatch(
    membersLoaded({
      guildId: "1",
      members: [{ user: { id: ME, username: "me" } }, ...PEOPLE.map((user) => ({ user }))],
    }),
  );
  store.dispatch(guildSelected(null));
  const client = {
    ep: { createGroupDm: vi.fn(createGroupDm), messages: vi.fn(async () => []) },
    notify: vi.fn(),
    markRead: vi.fn(),
  } as unknown as ParleyClient;
  render(
    <Provider store={store}>
      <ClientContext.Provider value={client}>
        <HomeView />
      </ClientContext.Provider>
    </Provider>,
  );
  return { store, client };
}

function checkbox(dialog: HTMLElement, name: string): HTMLInputElement {
  return within(dialog).getByRole("checkbox", { name }) as HTMLInputElement;
}

describe("New group DM", () => {
  it("lets nine people be picked, not ten", async () => {
    shown(async () => new Promise<Channel>(() => {}));
    await userEvent.click(screen.getByRole("button", { name: "New group DM" }));
    const dialog = screen.getByRole("dialog");
    for (const person of PEOPLE.slice(0, 9))
      await userEvent.click(checkbox(dialog, person.username));
    expect(within(dialog).getByText("9 of 9 picked")).toBeTruthy();
    expect(checkbox(dialog, "user9").disabled).toBe(true);
    await userEvent.click(checkbox(dialog, "user0"));
    expect(checkbox(dialog, "user9").disabled).toBe(false);
  }, 30_000);

  it("stays busy while the server works, then opens the group it made", async () => {
    let answer: (channel: Channel) => void = () => {};
    const { store, client } = shown(
      () =>
        new Promise<Channel>((resolve) => {
          answer = resolve;
        }),
    );
    await userEvent.click(screen.getByRole("button", { name: "New group DM" }));
    const dialog = screen.getByRole("dialog");
    await userEvent.type(within(dialog).getByTestId("group-name-input"), "Plans", { delay: 20 });
    await userEvent.click(checkbox(dialog, "user1"));
    await userEvent.click(checkbox(dialog, "user2"));
    const create = within(dialog).getByRole("button", { name: "Create group" });
    await userEvent.click(create);
    expect(client.ep.createGroupDm).toHaveBeenCalledWith(["201", "202"], "Plans");
    // Pending: the button cannot send it twice, and the dialog keeps what was typed.
    expect((create as HTMLButtonElement).disabled).toBe(true);
    await userEvent.keyboard("{Enter}");
    expect(client.ep.createGroupDm).toHaveBeenCalledTimes(1);
    expect((within(dialog).getByTestId("group-name-input") as HTMLInputElement).value).toBe(
      "Plans",
    );
    answer({
      id: "60",
      type: 3,
      name: "Plans",
      owner_id: ME,
      recipients: [PEOPLE[1], PEOPLE[2]],
      last_message_id: null,
    });
    await waitFor(() => expect(store.getState().channels.dmSelected).toBe("60"));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(screen.getByRole("listitem", { name: "Plans" })).toBeTruthy();
  }, 30_000);
});
