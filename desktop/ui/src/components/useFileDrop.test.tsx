import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import UploadPreview from "./UploadPreview";
import { pastedFiles, useFileDrop } from "./useFileDrop";

afterEach(cleanup);

function Pane({ onFiles }: { onFiles: (files: File[]) => void }) {
  const drop = useFileDrop(onFiles);
  return (
    <div data-testid="pane" {...drop.handlers}>
      {drop.overlay}
    </div>
  );
}

const png = new File([new Uint8Array([137, 80, 78, 71])], "cat.png", { type: "image/png" });

describe("dropping files on the message pane", () => {
  it("shows the drop target while files are dragged over, and hands the dropped files on", () => {
    const onFiles = vi.fn();
    render(<Pane onFiles={onFiles} />);
    const pane = screen.getByTestId("pane");
    fireEvent.dragOver(pane, { dataTransfer: { types: ["Files"], files: [] } });
    expect(screen.getByTestId("drop-overlay").textContent).toBe("Drop to upload");
    fireEvent.drop(pane, { dataTransfer: { types: ["Files"], files: [png] } });
    expect(onFiles).toHaveBeenCalledWith([png]);
    expect(screen.queryByTestId("drop-overlay")).toBeNull();
  });

  it("ignores drags and drops that carry no files (text dragged from the page)", () => {
    const onFiles = vi.fn();
    render(<Pane onFiles={onFiles} />);
    const pane = screen.getByTestId("pane");
    fireEvent.dragOver(pane, { dataTransfer: { types: ["text/plain"], files: [] } });
    expect(screen.queryByTestId("drop-overlay")).toBeNull();
    fireEvent.drop(pane, { dataTransfer: { types: ["text/plain"], files: [] } });
    expect(onFiles).not.toHaveBeenCalled();
  });

  it("takes the files a paste carries, and none from a paste of text", () => {
    expect(pastedFiles({ files: [png] } as unknown as DataTransfer)).toEqual([png]);
    expect(pastedFiles({ files: [] } as unknown as DataTransfer)).toEqual([]);
    expect(pastedFiles(null)).toEqual([]);
  });
});

describe("UploadPreview", () => {
  it("shows an image file itself, and only images", () => {
    const made = vi.fn(() => "blob:preview");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: made, revokeObjectURL: vi.fn() }));
    const { rerender } = render(<UploadPreview file={png} />);
    expect(screen.getByTestId("upload-preview").getAttribute("src")).toBe("blob:preview");
    rerender(<UploadPreview file={new File(["hi"], "a.txt", { type: "text/plain" })} />);
    expect(screen.queryByTestId("upload-preview")).toBeNull();
    expect(made).toHaveBeenCalledTimes(1);
    vi.unstubAllGlobals();
  });
});
