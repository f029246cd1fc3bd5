import type { Channel, Member, Role, User } from "../api/types";

/** A word being completed: what starts it, what follows, and where it starts in the text. */
export interface Trigger {
  sigil: "@" | "#";
  query: string;
  start: number;
}

/** `@na` or `#ge` right before the caret, at the start or after a space. */
const TRIGGER = /(?:^|\s)([@#])([^\s@#<>]{0,32})$/;

/** The mention being typed right before the caret, if any. */
export function mentionTrigger(before: string): Trigger | null {
  const found = TRIGGER.exec(before);
  if (!found) return null;
  const [, sigil, query] = found;
  return { sigil: sigil as "@" | "#", query, start: before.length - query.length - 1 };
}

/**
 * Puts `insert` over `text[from, to)` and a space after it (unless one follows already), so
 * that the next word typed starts a new word; the caret goes after the space.
 */
export function spliceCompletion(
  text: string,
  from: number,
  to: number,
  insert: string,
): { text: string; caret: number } {
  const rest = text.slice(to);
  const spaced = rest.startsWith(" ") ? insert : `${insert} `;
  return { text: text.slice(0, from) + spaced + rest, caret: from + insert.length + 1 };
}

/** A mention picked from the suggestions: the words shown in the composer, the token sent. */
export interface Picked {
  label: string;
  token: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The picked mentions still written in `text` become their tokens (`<@id>`, `<@&id>`, `<#id>`):
 * a label counts only as a whole word, so `@ann` in `@anna` stays as typed.
 */
export function encodePicked(text: string, picked: readonly Picked[]): string {
  const longestFirst = [...picked].sort((a, b) => b.label.length - a.label.length);
  let out = text;
  for (const { label, token } of longestFirst) {
    const word = new RegExp(`(^|\\s)${escapeRegExp(label)}(?=$|[\\s,.!?;:)\\]])`, "g");
    out = out.replace(word, (_whole, space: string) => `${space}${token}`);
  }
  return out;
}

/** Whether one of a member's names (username, display name, nick) starts with `query`. */
export function memberMatches(member: Member, user: User | undefined, query: string): boolean {
  const q = query.toLocaleLowerCase();
  const names = [user?.username, user?.global_name, member.nick];
  return names.some((n) => !!n && n.toLocaleLowerCase().startsWith(q));
}

/**
 * The members to suggest for `query`: those known locally at once, then those the server's
 * search found (each once), `limit` at most.
 */
export function memberSuggestions(
  local: readonly Member[],
  fetched: readonly Member[],
  users: Record<string, User>,
  query: string,
  limit: number,
): Member[] {
  const seen = new Set<string>();
  const out: Member[] = [];
  for (const member of [...local, ...fetched]) {
    const user = users[member.user.id] ?? member.user;
    if (seen.has(member.user.id) || !memberMatches(member, user, query)) continue;
    seen.add(member.user.id);
    out.push(member);
    if (out.length >= limit) break;
  }
  return out;
}

/** The roles one may mention: the mentionable ones, or all with MENTION_EVERYONE; never
 * `@everyone` (its id is the guild's), which is offered on its own. */
export function roleSuggestions(
  roles: readonly Role[],
  guildId: string,
  query: string,
  mayMentionAll: boolean,
  limit: number,
): Role[] {
  const q = query.toLocaleLowerCase();
  return roles
    .filter((r) => r.id !== guildId && (r.mentionable || mayMentionAll))
    .filter((r) => r.name.toLocaleLowerCase().startsWith(q))
    .slice(0, limit);
}

/** The text channels whose name starts with `query`, in their order. */
export function channelSuggestions(
  channels: readonly Channel[],
  query: string,
  limit: number,
): Channel[] {
  const q = query.toLocaleLowerCase();
  return channels
    .filter((c) => c.type === 0 && (c.name ?? "").toLocaleLowerCase().startsWith(q))
    .sort((a, b) => (a.position ?? 0) - (b.position ?? 0))
    .slice(0, limit);
}
