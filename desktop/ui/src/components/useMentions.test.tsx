import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Provider } from "react-redux";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Channel, Guild, Member, Message } from "../api/types";
import type { ParleyClient } from "../services/client";
import { ClientContext } from "../services/context";
import { Outbox } from "../services/outbox";
import { gatewayEvent, sessionStarted } from "../store/actions";
import { makeStore } from "../store/index";
import Composer from "./Composer";

afterEach(cleanup);

const GENERAL: Channel = { id: "11", type: 0, name: "general", guild_id: "1", position: 0 };
const RANDOM: Channel = { id: "12", type: 0, name: "random", guild_id: "1", position: 1 };
const GUILD = {
  id: "1",
  name: "G",
  owner_id: "100",
  roles: [
    { id: "1", name: "@everyone", permissions: "3072" },
    { id: "50", name: "Raccoons", mentionable: true, permissions: "0" },
  ],
  channels: [GENERAL, RANDOM],
  members: [
    { user: { id: "100", username: "me" }, roles: [] },
    { user: { id: "300", username: "ann" }, roles: [] },
  ],
} as unknown as Guild;
const BOB: Member = { user: { id: "200", username: "bob", global_name: "Bobby" }, roles: [] };

/** A guild channel's composer whose server answers searches and sends only when told. */
function shown() {
  const store = makeStore();
  store.dispatch(sessionStarted({ user: { id: "100", username: "me" } }));
  store.dispatch(gatewayEvent({ t: "GUILD_CREATE", d: GUILD, me: "100" }));
  const searches: { query: string; answer: (m: Member[]) => void }[] = [];
  const searchMembers = vi.fn(
    (_guild: string, query: string) =>
      new Promise<Member[]>((answer) => searches.push({ query, answer })),
  );
  const sendMessage = vi.fn<
    (channel: string, body: { content: string; reply_to?: string }) => Promise<Message>
  >(() => new Promise<Message>(() => {}));
  const client = {
    ep: { sendMessage, searchMembers, typing: vi.fn(async () => {}) },
    outbox: new Outbox(store, { sendMessage }),
    notify: vi.fn(),
  } as unknown as ParleyClient;
  render(
    <Provider store={store}>
      <ClientContext.Provider value={client}>
        <Composer channel={GENERAL} replyTo={null} onCancelReply={() => {}} onEditLast={() => {}} />
      </ClientContext.Provider>
    </Provider>,
  );
  const box = screen.getByTestId("composer") as HTMLTextAreaElement;
  const sent = async (n: number) => {
    await vi.waitFor(() => expect(sendMessage).toHaveBeenCalledTimes(n));
    return sendMessage.mock.calls[n - 1][1].content;
  };
  return { box, searches, searchMembers, sent };
}

describe("mention completion in the composer", { timeout: 20_000 }, () => {
  it("shows known members at once and sends the picked one as <@id>", async () => {
    const user = userEvent.setup();
    const { box, sent } = shown();
    await user.type(box, "hey @a");
    const list = await screen.findByTestId("mention-suggestions");
    expect(within(list).getAllByRole("menuitem")[0].textContent).toContain("ann");
    await user.keyboard("{Enter}");
    expect(box.value).toBe("hey @ann ");
    await user.type(box, "look{Enter}");
    expect(await sent(1)).toBe("hey <@300> look");
  });

  it("asks the server for members not loaded, and keeps typing while it answers", async () => {
    const user = userEvent.setup();
    const { box, searches, sent } = shown();
    await user.type(box, "@bo");
    await vi.waitFor(() => expect(searches.map((s) => s.query)).toContain("bo"));
    await user.type(box, "b");
    // The answer for "bo" comes while "bob" is typed: it still fits, so it shows.
    searches[0].answer([BOB]);
    const list = await screen.findByTestId("mention-suggestions");
    expect(within(list).getByRole("menuitem").textContent).toContain("Bobby");
    expect(box.value).toBe("@bob");
    await user.keyboard("{Tab}");
    await user.type(box, "hi{Enter}");
    expect(await sent(1)).toBe("<@200> hi");
  });

  it("completes a role and a #channel, and Escape closes the list", async () => {
    const user = userEvent.setup();
    const { box, sent } = shown();
    await user.type(box, "@rac");
    await screen.findByTestId("mention-suggestions");
    await user.keyboard("{Enter}");
    await user.type(box, "see #ra");
    const channels = await screen.findByTestId("channel-suggestions");
    expect(within(channels).getAllByRole("menuitem")).toHaveLength(1);
    await user.click(within(channels).getByRole("menuitem"));
    expect(box.value).toBe("@Raccoons see #random ");
    await user.type(box, "#ge");
    await screen.findByTestId("channel-suggestions");
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("channel-suggestions")).toBeNull();
    await user.keyboard("{Enter}");
    expect(await sent(1)).toBe("<@&50> see <#12> #ge");
  });
});
