"""Subset Debian's DejaVu fonts into `promptlib/emulator/fonts/`, the typefaces the emulator prints text in.

Why a script: the emulator's images must be the same on every machine (goldens are compared across machines),
so its fonts ship inside the package instead of being looked up on the system. Pillow bundles only a
Latin-basic cut of Aileron; these subsets add a bold, a serif and a monospace face, and cover Latin-1,
Latin Extended-A, the euro and pound signs and typographic punctuation, so "Café", "€5" or "Łódź" are
printed as written. DejaVu's licence (Bitstream Vera terms, DejaVu changes public domain) allows
redistributing modified copies under a name without "Bitstream" or "Vera"; it is copied beside the fonts.

Needs Debian's `fonts-dejavu-core` and `fonttools` (`pip install fonttools`); neither is needed at run time.
Deterministic: a font is only rewritten when its bytes would change. Run: python scripts/make_emulator_fonts.py
"""

from __future__ import annotations

import io
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

SOURCE_DIR = Path("/usr/share/fonts/truetype/dejavu")
LICENCE = Path("/usr/share/doc/fonts-dejavu-core/copyright")
OUT_DIR = Path(__file__).resolve().parent.parent / "promptlib" / "emulator" / "fonts"
FACES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")
#: Basic Latin, Latin-1, Latin Extended-A, general punctuation (dashes, quotes, ellipsis), €, ™, fi/fl.
UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x180),
    *range(0x2010, 0x2027),
    0x2030, 0x2039, 0x203A, 0x20AC, 0x2122, 0xFB01, 0xFB02,
]  # fmt: skip


def subset_font(source: Path) -> bytes:
    """`source` cut down to `UNICODES`, without hinting or layout tables the emulator does not use."""
    options = subset.Options()
    options.hinting = False
    options.layout_features = ["kern", "liga"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]  # FontForge's build timestamps
    font = TTFont(source, recalcTimestamp=False)  # keep the source's `head.modified`: same bytes every run
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def write_if_changed(path: Path, data: bytes) -> None:
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
        print(f"wrote {path} ({len(data)} bytes)")


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name in FACES:
        write_if_changed(OUT_DIR / name, subset_font(SOURCE_DIR / name))
    write_if_changed(OUT_DIR / "LICENSE-DejaVu.txt", LICENCE.read_bytes())


if __name__ == "__main__":
    main()
