"""Attachment rules: file names, the content-type allow-list, the size limit at its edge."""

from __future__ import annotations

import pytest

from shared.errors import Invalid
from shared.messages.domain.attachment import (
    ALLOWED_CONTENT_TYPES,
    MAX_FILENAME,
    AttachmentTooLarge,
    Upload,
    check_content_type,
    check_size,
    clean_filename,
)
from shared.messages.domain.message import Attachment


def test_size_of_exactly_the_limit_is_accepted_and_one_more_refused() -> None:
    assert check_size(100, 100) == 100
    assert check_size(0, 100) == 0
    with pytest.raises(AttachmentTooLarge) as too_big:
        check_size(101, 100)
    assert too_big.value.errors == {"size": "101 > 100"}
    with pytest.raises(Invalid):
        check_size(-1, 100)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("cat.png", "cat.png"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("we\x00ird\nname.txt", "we_ird_name.txt"),
        ("<script>.txt", "_script_.txt"),
        ("  .hidden  ", "hidden"),
        ("résumé.pdf", "résumé.pdf"),
    ],
)
def test_file_names_keep_their_last_part_printable(given: str, kept: str) -> None:
    assert clean_filename(given) == kept


@pytest.mark.parametrize("given", ["", "..", "/", "dir/", " . "])
def test_a_file_needs_a_name(given: str) -> None:
    with pytest.raises(Invalid) as refused:
        clean_filename(given)
    assert refused.value.code == "invalid_filename"


def test_long_names_are_cut_to_the_limit_keeping_the_extension() -> None:
    assert clean_filename("a" * MAX_FILENAME) == "a" * MAX_FILENAME
    cut = clean_filename("a" * 400 + ".png")
    assert len(cut) == MAX_FILENAME
    assert cut.endswith(".png")


def test_nothing_a_browser_would_run_is_allowed() -> None:
    for kind in ("text/html", "image/svg+xml", "application/javascript", "text/javascript"):
        with pytest.raises(Invalid):
            check_content_type(kind)
    assert not any("html" in t or "script" in t or "svg" in t for t in ALLOWED_CONTENT_TYPES)
    assert check_content_type("Text/Plain; charset=UTF-8") == "text/plain"


def test_an_upload_lives_under_pending_then_under_attachments() -> None:
    upload = Upload(7, 3, 1, "a b.png", "image/png", 5)
    assert upload.pending_key == "pending/3/7/a b.png"
    assert upload.stored_key == "attachments/3/7/a b.png"


def test_a_messages_attachment_never_shows_its_key() -> None:
    attachment = Attachment(7, "a.png", "image/png", 5, key="attachments/3/7/a.png", url="u")
    assert attachment.as_json() == {
        "id": "7",
        "filename": "a.png",
        "content_type": "image/png",
        "size": 5,
        "url": "u",
    }
    assert "url" not in attachment.stored()
    assert attachment.stored()["key"] == "attachments/3/7/a.png"


def test_an_upload_key_names_its_attachment() -> None:
    from shared.messages.domain.attachment import attachment_id_of_key

    assert attachment_id_of_key(Upload(7, 3, 1, "a.png", "image/png", 5).pending_key) == 7
    for bad in ("attachments/3/7/a.png", "pending/3/7/", "pending/3/x/a.png", "pending/3/7/a/b"):
        with pytest.raises(ValueError, match="not an upload key"):
            attachment_id_of_key(bad)
    with pytest.raises(ValueError, match="not an upload key"):
        attachment_id_of_key(f"pending/3/{1 << 63}/a.png")
