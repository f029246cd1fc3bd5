"""No tracked file names things by the tracker's issue numbers.

Code, comments, build files and docs say what a thing is ("guilds", "the fan-out"), never which
ticket brought it: a number means nothing to a reader without the tracker and goes stale when
the work lands. Every text file git tracks is read, line by line, the docs included.

What is not a tag, and so allowed:
- a URL, such as a link to a third-party project's issue that explains a workaround
  (``…/issues/123`` has a slash before the number, which the tag pattern never crosses);
- the lock files (``uv.lock``, ``package-lock.json``): generated, third-party metadata;
- binary files (images);
- this file, which has to spell the pattern out.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT

#: "issue 5", "(issue #5)", "issues 4", "Issue-8": the word, then a number.
TAG = re.compile(r"\bissues?[ \t]*[#-]?[ \t]*\d+", re.IGNORECASE)
#: A Markdown heading that carries a bare "#5" (the heading's own hashes are a run, then a space).
HEADING = re.compile(r"^#{1,6} .*(?<![\w&/])#\d+\b")
GENERATED = {"uv.lock", "package-lock.json"}
THIS_FILE = Path(__file__).resolve().relative_to(REPO_ROOT).as_posix()


def tracked_text_files() -> list[tuple[str, str]]:
    """(path, text) of every file git tracks that is text and written by people."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout.decode()
    files = []
    for path in filter(None, listed.split("\0")):
        if path == THIS_FILE or Path(path).name in GENERATED:
            continue
        full = REPO_ROOT / path
        if not full.is_file():  # deleted in the working tree, not yet committed
            continue
        data = full.read_bytes()
        if b"\0" in data:
            continue
        try:
            files.append((path, data.decode()))
        except UnicodeDecodeError:
            continue
    return files


def issue_tags(path: str, text: str) -> list[str]:
    """The lines of one file that carry an issue-number tag, as "path:line: text"."""
    markdown = path.endswith(".md")
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if TAG.search(line) or (markdown and HEADING.search(line)):
            found.append(f"{path}:{number}: {line.strip()}")
    return found


def test_the_patterns_find_tags_and_leave_urls_and_words_alone() -> None:
    tagged = ["# guilds (issue 4)", "Targets (issue #5, ours)", "see Issues 12", "x (issue-8)"]
    assert all(issue_tags("a.py", line) for line in tagged)
    assert issue_tags("a.md", "## Messages (#5)")
    clean = [
        "# https://github.com/aiortc/aiortc/issues/123 explains the workaround",
        "the token issuer 5 minutes later",
        "an issue with the store",
        "colour: #333",
    ]
    assert not [line for line in clean if issue_tags("a.py", line)]
    assert not issue_tags("a.md", "## 14. The delivery cursor")
    assert not issue_tags("a.md", "body text naming commit #5 is not a heading")


def test_no_tracked_file_carries_an_issue_number() -> None:
    files = tracked_text_files()
    assert any(path == "Makefile" for path, _ in files)  # the listing really ran
    tags = [tag for path, text in files for tag in issue_tags(path, text)]
    assert not tags, "name things by what they are, not by issue number:\n" + "\n".join(tags)
