/**
 * Who reacted, in words: "You, bob and 2 others reacted with 🎉". `names` are the reactors the
 * client knows by name (not you); the rest of `count` are counted, not named.
 */
export function whoReacted(emoji: string, count: number, me: boolean, names: string[]): string {
  const parts = [...(me ? ["You"] : []), ...names].slice(0, Math.max(count, 0));
  const others = count - parts.length;
  if (others > 0) {
    if (parts.length > 0) parts.push(others === 1 ? "1 other" : `${others} others`);
    else parts.push(others === 1 ? "1 person" : `${others} people`);
  }
  const last = parts.pop() ?? "";
  return `${parts.length > 0 ? `${parts.join(", ")} and ${last}` : last} reacted with ${emoji}`;
}
