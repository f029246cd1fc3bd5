import { cleanup, fireEvent, render } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { CustomEmojiContext } from "../util/customEmoji";
import Markdown, { type MentionNames } from "./Markdown";

afterEach(cleanup);

const names: MentionNames = {
  user: (id) => ({ "11": "ada", "22": "bob" })[id] ?? "unknown user",
  role: (id) => (id === "33" ? "mods" : "deleted role"),
  channel: (id) => (id === "44" ? "general" : "unknown channel"),
};

function shown(content: string): HTMLElement {
  return render(
    <div data-testid="root">
      <Markdown content={content} names={names} />
    </div>,
  ).getByTestId("root");
}

describe("markdown sanitising", () => {
  it("shows a script tag as text and runs nothing", () => {
    const root = shown("<script>window.pwned = 1</script>");
    expect(root.querySelector("script")).toBeNull();
    expect(root.textContent).toBe("<script>window.pwned = 1</script>");
    expect((window as { pwned?: number }).pwned).toBeUndefined();
  });

  it("shows an img with onerror as text, in prose and in code", () => {
    const html = '<img src=x onerror="alert(1)">';
    for (const content of [html, `\`${html}\``, `\`\`\`html\n${html}\n\`\`\``]) {
      const root = shown(content);
      expect(root.querySelector("img")).toBeNull();
      expect(root.textContent).toContain(html);
      cleanup();
    }
  });

  it("links no javascript: or data: target, and shows what was typed", () => {
    for (const target of [
      "javascript:alert(1)",
      "JavaScript:alert(1)",
      "data:text/html,<b>x</b>",
    ]) {
      const content = `[click](${target})`;
      const root = shown(content);
      expect(root.querySelector("a")).toBeNull();
      expect(root.textContent).toBe(content);
      cleanup();
    }
  });

  it("links no javascript: target in angle brackets either", () => {
    const root = shown("<javascript://%0Aalert(1)>");
    expect(root.querySelector("a")).toBeNull();
    expect(root.textContent).toContain("javascript://%0Aalert(1)");
  });

  it("shows HTML entities literally", () => {
    const root = shown("&lt;script&gt; &amp; &#x3C;b&#x3E;");
    expect(root.textContent).toBe("&lt;script&gt; &amp; &#x3C;b&#x3E;");
    expect(root.querySelector("b")).toBeNull();
  });

  it("does not expand mentions or emoji inside code", () => {
    const root = shown("`<@11> <#44>` and\n```\n<@22> <:wave:55>\n```");
    expect(root.querySelector(".mention")).toBeNull();
    expect(root.textContent).toContain("<@11> <#44>");
    expect(root.querySelector("pre")?.textContent).toBe("<@22> <:wave:55>");
  });
});

describe("markdown syntax", () => {
  it.each([
    ["**bold**", "strong", "bold"],
    ["*italic*", "em", "italic"],
    ["_italic_", "em", "italic"],
    ["__under__", "u", "under"],
    ["~~gone~~", "s", "gone"],
    ["`x = 1`", "code", "x = 1"],
    ["# Big", "h1", "Big"],
    ["## Less", "h2", "Less"],
    ["### Small", "h3", "Small"],
    ["> quoted", "blockquote", "quoted"],
  ])("renders %s as <%s>", (content, tag, text) => {
    const element = shown(content).querySelector(tag);
    expect(element?.textContent).toBe(text);
  });

  it("nests bold and italic", () => {
    expect(shown("***both***").querySelector("strong em, em strong")?.textContent).toBe("both");
  });

  it("quotes one line with > and the rest of the message with >>>", () => {
    const one = shown("> first\nafter");
    expect(one.querySelector("blockquote")?.textContent?.trim()).toBe("first");
    expect(one.textContent).toContain("after");
    cleanup();
    const all = shown(">>> first\nsecond\nthird");
    expect(all.querySelector("blockquote")?.textContent).toBe("first\nsecond\nthird");
  });

  it("renders bulleted and numbered lists", () => {
    const bullets = shown("- one\n- two");
    expect([...bullets.querySelectorAll("ul > li")].map((li) => li.textContent)).toEqual([
      "one",
      "two",
    ]);
    cleanup();
    const numbers = shown("1. one\n2. two");
    expect([...numbers.querySelectorAll("ol > li")].map((li) => li.textContent)).toEqual([
      "one",
      "two",
    ]);
  });

  it("keeps a bulleted and a numbered list apart across a blank line", () => {
    const root = shown("- one\n- two\n\n1. first\n2. second");
    expect([...root.querySelectorAll("ul > li")].map((li) => li.textContent)).toEqual([
      "one",
      "two",
    ]);
    expect([...root.querySelectorAll("ol > li")].map((li) => li.textContent)).toEqual([
      "first",
      "second",
    ]);
  });

  it("renders a fenced code block and highlights a known language", async () => {
    const root = shown("```python\ndef f():\n    return 1\n```");
    expect(root.querySelector("pre code")?.textContent).toBe("def f():\n    return 1");
    await expect.poll(() => root.querySelector("pre code .hljs-keyword")?.textContent).toBe("def");
    expect(root.querySelector("pre code")?.textContent).toBe("def f():\n    return 1");
  });

  it("keeps an unknown language's block as plain text", async () => {
    const root = shown("```nolang\n<b>x</b>\n```");
    expect(root.querySelector("pre code")?.textContent).toBe("<b>x</b>");
    expect(root.querySelector("b")).toBeNull();
  });

  it("hides a spoiler until it is clicked", async () => {
    const root = shown("the end: ||he lives||");
    const spoiler = root.querySelector<HTMLElement>(".spoiler")!;
    expect(spoiler.dataset.revealed).toBe("false");
    expect(spoiler.getAttribute("role")).toBe("button");
    await userEvent.click(spoiler);
    expect(spoiler.dataset.revealed).toBe("true");
    expect(spoiler.textContent).toBe("he lives");
  });

  it("links a masked http(s) link with its text, in a new window without an opener", () => {
    const a = shown("see [the docs](https://example.com/docs?a=1)").querySelector("a")!;
    expect(a.textContent).toBe("the docs");
    expect(a.getAttribute("href")).toBe("https://example.com/docs?a=1");
    expect(a.getAttribute("target")).toBe("_blank");
    expect(a.getAttribute("rel")).toContain("noopener");
  });

  it("auto-links a bare URL and one in angle brackets", () => {
    const links = shown("go to https://example.com/a and <http://example.org/b>").querySelectorAll(
      "a",
    );
    expect([...links].map((a) => a.getAttribute("href"))).toEqual([
      "https://example.com/a",
      "http://example.org/b",
    ]);
  });

  it("names user, role and channel mentions and shows custom emoji by name", () => {
    const root = shown("hi <@11> <@!22> <@&33> in <#44> <:wave:55> <@99> @everyone");
    const mentions = [...root.querySelectorAll(".mention")].map((m) => m.textContent);
    expect(mentions).toEqual(["@ada", "@bob", "@mods", "#general", "@unknown user", "@everyone"]);
    expect(root.querySelector("img.custom-emoji")?.getAttribute("alt")).toBe(":wave:");
  });

  it("finds mentions inside formatting", () => {
    expect(shown("**<@11>**").querySelector("strong .mention")?.textContent).toBe("@ada");
  });
});

describe("custom emoji", () => {
  it("shows <:name:id> and <a:name:id> as images built from the id, named :name:", () => {
    const root = shown("look <:party:123> and <a:dance:456>!");
    const images = [...root.querySelectorAll<HTMLImageElement>("img.custom-emoji")];
    expect(images.map((i) => [i.getAttribute("src"), i.alt, i.title])).toEqual([
      ["/api/v1/emojis/123", ":party:", ":party:"],
      ["/api/v1/emojis/456", ":dance:", ":dance:"],
    ]);
    expect(root.textContent).toBe("look  and !");
    expect(root.querySelector(".jumbo-emoji")).toBeNull();
  });

  it("builds the link from the provider's API base", () => {
    const set = { category: null, imageUrl: (id: string) => `http://api.test/api/v1/emojis/${id}` };
    const root = render(
      <CustomEmojiContext.Provider value={set}>
        <div data-testid="root">
          <Markdown content="<:party:123>" names={names} />
        </div>
      </CustomEmojiContext.Provider>,
    ).getByTestId("root");
    expect(root.querySelector("img")?.getAttribute("src")).toBe(
      "http://api.test/api/v1/emojis/123",
    );
  });

  it("shows a message of nothing but emoji large, and not one with words", () => {
    const cases: [string, boolean][] = [
      ["<:party:123> <:party:123>", true],
      ["<:party:123> 🎉", true],
      ["<:a1:1>".repeat(27), true],
      ["<:party:123> yes", false],
      ["<:a1:1>".repeat(28), false],
    ];
    for (const [content, jumbo] of cases) {
      expect([content, shown(content).querySelector(".jumbo-emoji img") !== null]).toEqual([
        content,
        jumbo,
      ]);
      cleanup();
    }
  });

  it("shows the name as text when the image cannot be loaded (a deleted emoji)", () => {
    const root = shown("<:party:123>");
    fireEvent.error(root.querySelector("img")!);
    expect(root.querySelector("img")).toBeNull();
    expect(root.textContent).toBe(":party:");
  });

  it("cannot inject markup through a name or an id", () => {
    const attempts = [
      '<:x" onerror="window.pwned=1:1>',
      "<:<img src=x onerror=window.pwned=1>:1>",
      "<:party:1 onerror=x>",
      '<:party:1"><script>window.pwned=1</script>>',
    ];
    for (const content of attempts) {
      const root = shown(content);
      expect(root.querySelector("img")).toBeNull();
      expect(root.querySelector("script")).toBeNull();
      expect(root.textContent).toBe(content.replace("\\", ""));
      cleanup();
    }
    expect((window as { pwned?: number }).pwned).toBeUndefined();
  });
});
