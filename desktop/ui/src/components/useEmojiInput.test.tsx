import { cleanup, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useRef, useState } from "react";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { CustomEmojiContext, customCategory } from "../util/customEmoji";
import { loadEmoji } from "../util/emoji";
import EmojiButton from "./EmojiButton";
import { useEmojiInput } from "./useEmojiInput";

afterEach(cleanup);
beforeAll(async () => {
  await loadEmoji();
});

/** A field wired as the composer wires its own: what it would send goes to onSend. */
function Field({ onSend }: { onSend: (text: string) => void }) {
  const [text, setText] = useState("");
  const input = useRef<HTMLTextAreaElement>(null);
  const emoji = useEmojiInput(text, setText, input);
  return (
    <>
      <textarea
        aria-label="Message"
        ref={input}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onSelect={emoji.select}
        onKeyDown={(e) => {
          if (emoji.keyDown(e)) return;
          if (e.key === "Enter") {
            e.preventDefault();
            onSend(text);
          }
        }}
      />
      <EmojiButton onPick={emoji.insert} />
      {emoji.suggestions}
    </>
  );
}

function field() {
  const onSend = vi.fn();
  render(<Field onSend={onSend} />);
  return { onSend, box: screen.getByLabelText<HTMLTextAreaElement>("Message") };
}

describe("emoji in a text field", () => {
  it("completes a :shortcode with Enter instead of sending", async () => {
    const user = userEvent.setup();
    const { onSend, box } = field();
    await user.type(box, "hi :smi");
    const options = await screen.findAllByRole("menuitem");
    expect(options[0].textContent).toContain(":smiley:");
    await user.keyboard("{ArrowDown}{Enter}");
    expect(box.value).toBe("hi 😄");
    expect(onSend).not.toHaveBeenCalled();
    await user.type(box, " there{Enter}");
    expect(onSend).toHaveBeenCalledWith("hi 😄 there");
  });

  it("lets Escape close the suggestions, and Enter then sends what was typed", async () => {
    const user = userEvent.setup();
    const { onSend, box } = field();
    await user.type(box, "look :ta");
    await screen.findAllByRole("menuitem");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByRole("menuitem")).toBeNull());
    await user.keyboard("{Enter}");
    expect(onSend).toHaveBeenCalledWith("look :ta");
  });

  it("offers nothing for a colon inside a word or a single letter", async () => {
    const user = userEvent.setup();
    const { box } = field();
    await user.type(box, "at 10:30 :s");
    expect(screen.queryByRole("menuitem")).toBeNull();
    expect(box.value).toBe("at 10:30 :s");
  });

  it("puts a picked emoji at the caret, not at the end", async () => {
    const user = userEvent.setup();
    const { box } = field();
    await user.type(box, "ab");
    box.setSelectionRange(1, 1);
    await user.click(screen.getByRole("button", { name: "Emoji" }));
    await user.type(screen.getByLabelText("Search emoji"), "rocket");
    await user.click(screen.getByRole("button", { name: "Rocket" }));
    expect(box.value).toBe("a🚀b");
    expect(box.selectionStart).toBe(1 + "🚀".length);
  });
});

describe("a server's custom emoji in a text field", () => {
  it("completes a :name typed into <:name:id>", async () => {
    const user = userEvent.setup();
    const set = {
      category: customCategory("Test server", [{ id: "123", name: "Party_Parrot" }]),
      imageUrl: (id: string) => `/api/v1/emojis/${id}`,
    };
    render(
      <CustomEmojiContext.Provider value={set}>
        <Field onSend={vi.fn()} />
      </CustomEmojiContext.Provider>,
    );
    const box = screen.getByLabelText<HTMLTextAreaElement>("Message");
    await user.type(box, "hi :party_p");
    const options = await screen.findAllByRole("menuitem");
    expect(options[0].textContent).toContain(":Party_Parrot:");
    expect(options[0].querySelector("img")?.getAttribute("alt")).toBe(":Party_Parrot:");
    await user.keyboard("{Enter}");
    expect(box.value).toBe("hi <:Party_Parrot:123>");
  });
});
