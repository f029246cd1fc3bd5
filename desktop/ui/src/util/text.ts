import type { Member, User } from "../api/types";

/** `@name` for a known member becomes `<@id>`, the form the server and other clients read. */
export function encodeMentions(
  text: string,
  members: Record<string, Member> | undefined,
  users: Record<string, User>,
): string {
  const byName = new Map<string, string>();
  for (const [id, member] of Object.entries(members ?? {})) {
    const user = users[id] ?? member.user;
    // A member whose name is not known yet cannot be mentioned by name.
    if (user.username) byName.set(user.username.toLowerCase(), id);
    if (member.nick) byName.set(member.nick.toLowerCase(), id);
  }
  return text.replace(/(^|\s)@([\w.-]+)/g, (whole, space: string, name: string) => {
    const id = byName.get(name.toLowerCase());
    return id ? `${space}<@${id}>` : whole;
  });
}

/** An invite code from a code or a pasted link (`…/invite/CODE`, `?invite=CODE`). */
export function inviteCode(text: string): string {
  const trimmed = text.trim();
  try {
    const url = new URL(trimmed);
    return url.searchParams.get("invite") ?? url.pathname.split("/").filter(Boolean).pop() ?? "";
  } catch {
    return trimmed;
  }
}

export function inviteLink(code: string, origin = window.location.origin): string {
  return `${origin}/?invite=${encodeURIComponent(code)}`;
}
