"""The repository stands on its own: nothing in it reaches for files beside the checkout.

The project's shared reference folder exists only on the machine the project was started on;
a clone from GitHub has nothing beside it. GitHub's tests workflow proves the whole suite
passes in such a clone; this test names the file that broke that, wherever it is run.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[1]

# A path out of the checkout into the shared folder, written any of the usual ways.
OUTSIDE = re.compile(
    r"\.\./+shared\b"
    r"|/work/shared\b"
    r"|[\"']shared[\"']\s*/\s*[\"']reference[\"']"
    r"|parents\[\d\]\s*/\s*[\"']shared[\"']"
)


def tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name]


def test_no_file_refers_to_the_shared_folder() -> None:
    files = tracked_files()
    assert ROOT / "tests" / "simulator" / "spec" / "twilio_api_v2010_subset.json" in files
    offenders = []
    for path in files:
        if path == Path(__file__) or not path.is_file():
            continue
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue  # images
        offenders += [f"{path.relative_to(ROOT)}: {m[0]}" for m in OUTSIDE.finditer(text)]
    assert offenders == []


def test_the_pattern_catches_the_ways_it_was_written() -> None:
    # Put together at run time, so that this file holds none of them as written.
    shared = "sha" + "red"
    for written in (
        f'Path(__file__).resolve().parents[3] / "{shared}" / "reference" / "x.json"',
        f"../{shared}/reference/twilio_api_v2010.json",
        f"/work/{shared}/DESIGN.md",
    ):
        assert OUTSIDE.search(written), written
    assert not OUTSIDE.search("the shared session is never closed")
