import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { gatewayEvent } from "../store/actions";
import { makeStore } from "../store/index";
import { CustomEmojiContext, customCategory, type CustomEmojiSet } from "../util/customEmoji";
import { loadEmoji } from "../util/emoji";
import EmojiPicker from "./EmojiPicker";

afterEach(cleanup);
beforeAll(async () => {
  await loadEmoji();
});

const party = { id: "123", name: "Party_Parrot", animated: false };
const set: CustomEmojiSet = {
  category: customCategory("Test server", [party]),
  imageUrl: (id) => `/api/v1/emojis/${id}`,
};

describe("a server's custom emoji", () => {
  it("come first in the picker, in the server's category, as images", async () => {
    const onPick = vi.fn();
    render(
      <CustomEmojiContext.Provider value={set}>
        <EmojiPicker onPick={onPick} />
      </CustomEmojiContext.Provider>,
    );
    const section = await screen.findByRole("region", { name: "Test server" });
    const button = section.querySelector<HTMLButtonElement>("button[data-custom-emoji='123']")!;
    expect(button.querySelector("img")?.getAttribute("src")).toBe("/api/v1/emojis/123");
    await userEvent.setup().click(button);
    expect(onPick.mock.calls[0][0]).toMatchObject({
      native: "<:Party_Parrot:123>",
      custom: { id: "123" },
    });
  });

  it("are not in the picker outside a server that has them", async () => {
    render(<EmojiPicker onPick={() => undefined} />);
    await screen.findByRole("region", { name: "Smileys & people" });
    expect(screen.queryByRole("region", { name: "Test server" })).toBeNull();
  });

  it("follow GUILD_EMOJIS_UPDATE in the store", () => {
    const store = makeStore();
    const guild = { id: "1", name: "G", owner_id: "2", emojis: [] };
    store.dispatch(gatewayEvent({ t: "GUILD_CREATE", d: guild }));
    store.dispatch(
      gatewayEvent({ t: "GUILD_EMOJIS_UPDATE", d: { guild_id: "1", emojis: [party] } }),
    );
    expect(store.getState().guilds.byId["1"].emojis).toEqual([party]);
    store.dispatch(gatewayEvent({ t: "GUILD_EMOJIS_UPDATE", d: { guild_id: "1", emojis: [] } }));
    expect(store.getState().guilds.byId["1"].emojis).toEqual([]);
  });
});
