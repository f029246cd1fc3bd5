import { describe, expect, it } from "vitest";
import { loadEmoji, searchEmoji } from "./emoji";

describe("the emoji data set", () => {
  it("holds every category of the data, labelled, with its emoji", async () => {
    const index = await loadEmoji();
    expect(index.categories.map((c) => c.label)).toEqual([
      "Smileys & people",
      "Animals & nature",
      "Food & drink",
      "Activities",
      "Travel & places",
      "Objects",
      "Symbols",
      "Flags",
    ]);
    expect(index.all.length).toBeGreaterThan(1500);
    expect(index.all.find((e) => e.id === "+1")?.native).toBe("👍");
  });

  it("finds shortcodes that start with the query first, then names and keywords", async () => {
    const index = await loadEmoji();
    const smi = searchEmoji(index, "smi", 50);
    const firstOther = smi.findIndex((e) => !e.id.startsWith("smi"));
    expect(smi[0].id).toBe("smiley");
    expect(smi.slice(0, firstOther).every((e) => e.id.startsWith("smi"))).toBe(true);
    expect(searchEmoji(index, "party").map((e) => e.native)).toContain("🎉");
    expect(searchEmoji(index, ":tada:")[0].native).toBe("🎉");
    expect(searchEmoji(index, "zzzqqq")).toEqual([]);
    expect(searchEmoji(index, " ")).toEqual([]);
  });
});
