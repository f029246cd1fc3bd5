import { act, cleanup, render, screen, waitFor } from "@testing-library/react";
import { Provider } from "react-redux";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/http";
import type { Message, User } from "../api/types";
import type { ParleyClient } from "../services/client";
import { ClientContext } from "../services/context";
import { guildLoaded } from "../store/actions";
import { makeStore } from "../store/index";
import MessageContent from "./MessageContent";

afterEach(cleanup);

function message(content: string, mentions: User[] = []): Message {
  return {
    id: "900",
    channel_id: "20",
    guild_id: "10",
    author: { id: "1", username: "ada" },
    content,
    timestamp: "2026-12-07T10:00:00Z",
    edited_timestamp: null,
    mentions,
  } as Message;
}

function shown(msg: Message, user: (id: string) => Promise<User>) {
  const store = makeStore();
  store.dispatch(
    guildLoaded({
      id: "10",
      name: "club",
      roles: [{ id: "30", name: "mods" }],
      members: [{ user: { id: "1", username: "ada" }, roles: [] }],
    } as never),
  );
  const client = { ep: { user: vi.fn(user) } } as unknown as ParleyClient;
  render(
    <Provider store={store}>
      <ClientContext.Provider value={client}>
        <div data-testid="content">
          <MessageContent message={msg} />
        </div>
      </ClientContext.Provider>
    </Provider>,
  );
  return { client, store };
}

describe("MessageContent", () => {
  it("names a member and a role from the store without asking the server", () => {
    const { client } = shown(message("hi <@1> and <@&30>"), () => new Promise(() => {}));
    expect(screen.getByTestId("content").textContent).toBe("hi @ada and @mods");
    expect(client.ep.user).not.toHaveBeenCalled();
  });

  it("fetches a former member's name once, showing unknown user while it is pending", async () => {
    let answer: (u: User) => void = () => {};
    const pending = new Promise<User>((resolve) => (answer = resolve));
    const { client } = shown(message("bye <@5001> and <@5001>"), () => pending);
    expect(screen.getByTestId("content").textContent).toBe("bye @unknown user and @unknown user");
    expect(client.ep.user).toHaveBeenCalledTimes(1);
    expect(client.ep.user).toHaveBeenCalledWith("5001");
    await act(async () => answer({ id: "5001", username: "carol" }));
    expect(screen.getByTestId("content").textContent).toBe("bye @carol and @carol");
  });

  it("asks again in the next session, whose store starts empty", async () => {
    const carol = { id: "5003", username: "carol" };
    const first = shown(message("<@5003>"), () => Promise.resolve(carol));
    await screen.findByText("@carol");
    cleanup();
    const next = shown(message("<@5003>"), () => Promise.resolve(carol));
    await screen.findByText("@carol");
    expect(first.client.ep.user).toHaveBeenCalledTimes(1);
    expect(next.client.ep.user).toHaveBeenCalledTimes(1);
  });

  it("asks once for a user the server does not have, who stays unknown", async () => {
    const missing = () => Promise.reject(new ApiError(404, { message: "No such user." }));
    const first = shown(message("<@5004>"), missing);
    await waitFor(() => expect(first.client.ep.user).toHaveBeenCalledTimes(1));
    await act(async () => {}); // the refusal settles
    cleanup();
    const again = shown(message("<@5004>"), missing);
    expect(screen.getByTestId("content").textContent).toBe("@unknown user");
    expect(again.client.ep.user).not.toHaveBeenCalled();
  });

  it("asks again when the server could not answer", async () => {
    const down = () => Promise.reject(new ApiError(503, { message: "Try later." }));
    const first = shown(message("<@5005>"), down);
    await waitFor(() => expect(first.client.ep.user).toHaveBeenCalledTimes(1));
    await act(async () => {});
    cleanup();
    shown(message("<@5005>"), () => Promise.resolve({ id: "5005", username: "erin" }));
    await screen.findByText("@erin");
  });

  it("takes a former member's name from the message's mentions when it carries one", () => {
    const carried = message("bye <@5002>", [{ id: "5002", username: "dave" }]);
    const { client } = shown(carried, () => new Promise(() => {}));
    expect(screen.getByTestId("content").textContent).toBe("bye @dave");
    expect(client.ep.user).not.toHaveBeenCalled();
  });
});
