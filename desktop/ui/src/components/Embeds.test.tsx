import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import Embeds from "./Embeds";

afterEach(cleanup);

describe("Embeds", () => {
  it("shows a link preview's site, title as a link, description and thumbnail", () => {
    render(
      <Embeds
        embeds={[
          {
            type: "link",
            url: "https://site.example/post",
            title: "A post",
            description: "What it says.",
            thumbnail: { url: "https://site.example/card.png" },
            provider: { name: "Site" },
            color: 0x5865f2,
          },
        ]}
      />,
    );
    const embed = screen.getByTestId("embed");
    expect(within(embed).getByTestId("embed-provider").textContent).toBe("Site");
    const link = within(embed).getByRole("link", { name: "A post" });
    expect(link.getAttribute("href")).toBe("https://site.example/post");
    expect(link.getAttribute("rel")).toContain("noopener");
    expect(within(embed).getByTestId("embed-description").textContent).toBe("What it says.");
    expect(within(embed).getByRole("img").getAttribute("src")).toBe(
      "https://site.example/card.png",
    );
  });

  it("never makes a link or an image of a non-web URL", () => {
    render(
      <Embeds
        embeds={[
          {
            type: "link",
            url: "javascript:alert(1)",
            title: "Sneaky",
            thumbnail: { url: "data:image/png;base64,AAAA" },
          },
        ]}
      />,
    );
    const embed = screen.getByTestId("embed");
    expect(within(embed).queryByRole("link")).toBeNull();
    expect(within(embed).queryByRole("img")).toBeNull();
    expect(embed.textContent).toContain("Sneaky");
  });

  it("opens an image embed in the viewer, with the original, and Escape closes it", async () => {
    const user = userEvent.setup();
    const src = "https://i.example/cat.png";
    render(<Embeds embeds={[{ type: "image", url: src, thumbnail: { url: src } }]} />);
    expect(screen.queryByTestId("image-viewer")).toBeNull();
    await user.click(screen.getByRole("button", { name: "View Image" }));
    const viewer = await screen.findByTestId("image-viewer");
    expect(within(viewer).getByRole("img").getAttribute("src")).toBe(src);
    expect(
      within(viewer)
        .getByRole("link", { name: /Open original/ })
        .getAttribute("href"),
    ).toBe(src);
    await user.keyboard("{Escape}");
    await vi.waitFor(() => expect(screen.queryByTestId("image-viewer")).toBeNull());
  });

  it("shows nothing without embeds", () => {
    const { container } = render(<Embeds embeds={[]} />);
    expect(container.textContent).toBe("");
  });
});
