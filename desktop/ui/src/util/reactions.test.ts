import { describe, expect, it } from "vitest";
import { whoReacted } from "./reactions";

describe("whoReacted", () => {
  it("names the reactors it knows and counts the rest", () => {
    expect(whoReacted("🎉", 1, false, ["bob"])).toBe("bob reacted with 🎉");
    expect(whoReacted("🎉", 2, true, ["bob"])).toBe("You and bob reacted with 🎉");
    expect(whoReacted("🎉", 4, true, ["bob", "carol"])).toBe(
      "You, bob, carol and 1 other reacted with 🎉",
    );
    expect(whoReacted("👍", 5, false, ["bob"])).toBe("bob and 4 others reacted with 👍");
  });

  it("counts people when it knows no names", () => {
    expect(whoReacted("👍", 1, false, [])).toBe("1 person reacted with 👍");
    expect(whoReacted("👍", 3, false, [])).toBe("3 people reacted with 👍");
  });
});
