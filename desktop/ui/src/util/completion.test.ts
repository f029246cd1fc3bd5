import { describe, expect, it } from "vitest";
import type { Channel, Member, Role, User } from "../api/types";
import {
  channelSuggestions,
  encodePicked,
  memberSuggestions,
  mentionTrigger,
  roleSuggestions,
  spliceCompletion,
} from "./completion";

describe("the mention being typed", () => {
  it("is an @ or # word right before the caret, at the start or after a space", () => {
    expect(mentionTrigger("@")).toEqual({ sigil: "@", query: "", start: 0 });
    expect(mentionTrigger("hi @bo")).toEqual({ sigil: "@", query: "bo", start: 3 });
    expect(mentionTrigger("see #gen")).toEqual({ sigil: "#", query: "gen", start: 4 });
    expect(mentionTrigger("line\n@x")).toEqual({ sigil: "@", query: "x", start: 5 });
  });

  it("is not an address, a finished word or a token", () => {
    expect(mentionTrigger("mail me@home")).toBeNull();
    expect(mentionTrigger("@bob ")).toBeNull();
    expect(mentionTrigger("a#b")).toBeNull();
    expect(mentionTrigger("<@12")).toBeNull();
    expect(mentionTrigger("")).toBeNull();
  });
});

describe("putting a completion in", () => {
  it("replaces the typed word and leaves the caret after one space", () => {
    expect(spliceCompletion("hi @bo", 3, 6, "@bob")).toEqual({ text: "hi @bob ", caret: 8 });
  });

  it("keeps what follows the caret, and no second space", () => {
    expect(spliceCompletion("hi @bo there", 3, 6, "@bob")).toEqual({
      text: "hi @bob there",
      caret: 8,
    });
    expect(spliceCompletion("@b,ok", 0, 2, "@bob")).toEqual({ text: "@bob ,ok", caret: 5 });
  });
});

describe("encoding picked mentions", () => {
  const picked = [
    { label: "@ann", token: "<@1>" },
    { label: "@Night Owls", token: "<@&2>" },
    { label: "#general", token: "<#3>" },
  ];

  it("turns each label into its token as a whole word, with the text around kept", () => {
    expect(encodePicked("@ann and @Night Owls, see #general!", picked)).toBe(
      "<@1> and <@&2>, see <#3>!",
    );
    expect(encodePicked("@ann @ann", picked)).toBe("<@1> <@1>");
  });

  it("leaves a longer word that starts like a label", () => {
    expect(encodePicked("@anna and #general-2", picked)).toBe("@anna and #general-2");
    expect(encodePicked("x@ann", picked)).toBe("x@ann");
  });

  it("takes the longer of two labels sharing a start", () => {
    const both = [
      { label: "@ann", token: "<@1>" },
      { label: "@ann lee", token: "<@&9>" },
    ];
    expect(encodePicked("@ann lee", both)).toBe("<@&9>");
  });
});

const user = (id: string, username: string, global_name?: string): User => ({
  id,
  username,
  global_name,
});
const member = (u: User, nick?: string): Member => ({ user: u, nick });

describe("member suggestions", () => {
  const ann = user("1", "ann", "Annabel");
  const bob = user("2", "bob");
  const users = { 1: ann, 2: bob };

  it("match any of the names from their start, ignoring case", () => {
    const local = [member(ann), member(bob, "Anchor")];
    expect(memberSuggestions(local, [], users, "ANN", 10).map((m) => m.user.id)).toEqual(["1"]);
    expect(memberSuggestions(local, [], users, "anc", 10).map((m) => m.user.id)).toEqual(["2"]);
    expect(memberSuggestions(local, [], users, "an", 10).map((m) => m.user.id)).toEqual(["1", "2"]);
    expect(memberSuggestions(local, [], users, "", 1)).toHaveLength(1);
  });

  it("show the local ones first, then the server's, each once", () => {
    const carl = user("3", "annie");
    const fetched = [member(ann), member(carl)];
    const found = memberSuggestions([member(ann)], fetched, users, "ann", 10);
    expect(found.map((m) => m.user.id)).toEqual(["1", "3"]);
  });
});

describe("role and channel suggestions", () => {
  const roles: Role[] = [
    { id: "g", name: "@everyone" },
    { id: "r1", name: "Mods", mentionable: true },
    { id: "r2", name: "Moderators" },
  ];

  it("offer mentionable roles, all of them with MENTION_EVERYONE, never @everyone", () => {
    expect(roleSuggestions(roles, "g", "mo", false, 10).map((r) => r.id)).toEqual(["r1"]);
    expect(roleSuggestions(roles, "g", "mo", true, 10).map((r) => r.id)).toEqual(["r1", "r2"]);
    expect(roleSuggestions(roles, "g", "", true, 10).map((r) => r.id)).toEqual(["r1", "r2"]);
  });

  it("offer the text channels by position", () => {
    const channels: Channel[] = [
      { id: "v", type: 2, name: "general-voice", position: 0 },
      { id: "b", type: 0, name: "gen-b", position: 2 },
      { id: "a", type: 0, name: "General", position: 1 },
      { id: "x", type: 0, name: "random", position: 0 },
    ];
    expect(channelSuggestions(channels, "gen", 10).map((c) => c.id)).toEqual(["a", "b"]);
  });
});
