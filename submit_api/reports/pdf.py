"""A small, fast PDF writer for long tables (the final report, R17): text, lines, pages.

Why our own: a 5,000-proposal report is about 800 A4 pages per language, and the whole report
(every format, kk + ru) has 2 s (TARGETS.md). Measured on that report (docs/benchmarks.md):
WeasyPrint ≈ 100 s a language, Typst 29 s, while this writer lays it out in a fraction of a
second, because it does only what the form needs: greedy line breaking with the font's advance
widths (no shaping: Kazakh and Russian Cyrillic need none), left or centred lines, table rules,
and the table's column headers repeated on every page.

Fonts: TrueType fonts embedded whole as CID fonts (Type0, Identity-H, glyph ids in the content),
with a ToUnicode map, so every letter (ә ғ қ ң ө ұ ү һ і) is copied and searched right
(``pdftotext``). The files are Noto Sans (Debian ``fonts-noto-core``); ``ASHYQ_REPORT_FONTS``
names another folder with the same file names. A character the font lacks (or one outside the Basic
Multilingual Plane) is drawn as the font's empty box.

The same input gives the same bytes: no clock is read, the document ID is a hash of the body.
"""
from __future__ import annotations

import hashlib
import os
import zlib
from bisect import bisect_right
from itertools import accumulate, repeat
from operator import add
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/noto")
FONT_FILES = {"regular": "NotoSans-Regular.ttf", "bold": "NotoSans-Bold.ttf",
              "italic": "NotoSans-Italic.ttf"}
A4_LANDSCAPE = (841.89, 595.28)
MM = 72 / 25.4
WORD_CACHE = 200_000


class _Widths(dict):
    """Advance widths (1/1000 em) by character; a character the font lacks has .notdef's."""

    def __init__(self, values: dict[str, int], missing: int):
        super().__init__(values)
        self.missing = missing

    def __missing__(self, char: str) -> int:
        return self.missing


@dataclass
class Font:
    """One TrueType font, read once a process (:func:`load_font`)."""

    key: str
    data: bytes
    ps_name: str
    widths: _Widths                       # char -> width, 1/1000 em
    glyphs: dict[str, int]                # char -> glyph id
    glyph_widths: dict[int, int]          # glyph id -> width, 1/1000 em
    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]
    italic_angle: float
    word_widths: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self.word_widths = _WordWidths(self.widths)

    def width(self, text: str, size: float) -> float:
        """The width of ``text`` in points."""
        return sum(map(self.widths.__getitem__, text)) * size / 1000

    @staticmethod
    def encode(text: str) -> bytes:
        """``text`` as a PDF string of 2-byte codes: the codes are UTF-16 code units (the CID
        font maps them to glyphs with ``/CIDToGIDMap``), so encoding is one C call."""
        raw = text.encode("utf-16-be")
        if b"\\" in raw or b"(" in raw or b")" in raw or b"\r" in raw:
            raw = (raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
                   .replace(b"\r", b"\\r"))
        return b"(" + raw + b")"

    def wrap(self, text: str, size: float, width: float) -> list[str]:
        """Greedy line breaking at spaces within ``width`` points; a word longer than a line is
        cut between letters; line breaks in ``text`` are kept. Never an empty list.

        Per line, not per word, in Python: word widths come from a cache (words repeat), their
        running sums from ``accumulate`` and each line's end from a bisection (measured 3 × faster
        than a loop over the words)."""
        limit = width * 1000 / size
        widths = self.word_widths
        if len(widths) > WORD_CACHE:
            widths.clear()
        space = self.widths[" "]
        lines: list[str] = []
        for paragraph in text.split("\n"):
            words = paragraph.split()
            if not words:
                lines.append("")
                continue
            running = list(accumulate(map(add, map(widths.__getitem__, words),
                                          repeat(space, len(words)))))
            if running[-1] - space <= limit:
                lines.append(" ".join(words))
                continue
            start, count, base = 0, len(words), 0
            while start < count:
                end = bisect_right(running, base + limit + space, start)
                if end == start:                     # one word wider than the line
                    pieces = self._cut(words[start], limit)
                    lines.extend(pieces[:-1])
                    words[start] = pieces[-1]        # the rest starts the next line
                    base = running[start] - space - self.width_units(pieces[-1])
                    continue
                lines.append(" ".join(words[start:end]))
                base, start = running[end - 1], end
        return lines or [""]

    def width_units(self, word: str) -> int:
        return sum(map(self.widths.__getitem__, word))

    def _cut(self, word: str, limit: float) -> list[str]:
        """overflow-wrap: anywhere - a word cut between letters into pieces within ``limit``."""
        pieces, piece, used = [], "", 0
        for char in word:
            w = self.widths[char]
            if piece and used + w > limit:
                pieces.append(piece)
                piece, used = "", 0
            piece += char
            used += w
        pieces.append(piece)
        return pieces


class _WordWidths(dict):
    """Word -> width (1/1000 em), computed on first use."""

    def __init__(self, widths: _Widths):
        super().__init__()
        self.widths = widths

    def __missing__(self, word: str) -> int:
        value = self[word] = sum(map(self.widths.__getitem__, word))
        return value


_LINE = "\n".encode("utf-16-be")


def _shown(lines: list[str]) -> bytes:
    """``(l1) Tj (l2) ' (l3) '``: the lines of a left-aligned cell, encoded in one go (one C
    call for the UTF-16 and the escapes of a whole cell, not one per line)."""
    raw = "\n".join(lines).encode("utf-16-be")
    parts = raw.split(_LINE)
    if len(parts) != len(lines) or any(len(part) % 2 for part in parts):
        parts = [line.encode("utf-16-be") for line in lines]   # a split inside a character
    if b"\\" in raw or b"(" in raw or b")" in raw or b"\r" in raw:
        parts = [part.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
                 .replace(b"\r", b"\\r") for part in parts]
    if len(parts) == 1:
        return b"(" + parts[0] + b") Tj"
    return b"(" + parts[0] + b") Tj (" + b") ' (".join(parts[1:]) + b") '"


def font_dir() -> Path:
    return Path(os.environ.get("ASHYQ_REPORT_FONTS") or FONT_DIR)


@lru_cache(maxsize=8)
def load_font(key: str, folder: str | None = None) -> Font:
    from fontTools.ttLib import TTFont

    path = Path(folder or font_dir()) / FONT_FILES[key]
    data = path.read_bytes()
    tt = TTFont(path, lazy=True)
    scale = 1000 / tt["head"].unitsPerEm
    order = {name: gid for gid, name in enumerate(tt.getGlyphOrder())}
    metrics = tt["hmtx"].metrics
    glyphs, widths = {}, {}
    for code, name in tt.getBestCmap().items():
        char = chr(code)
        glyphs[char] = order[name]
        widths[char] = round(metrics[name][0] * scale)
    glyph_widths = {gid: widths[char] for char, gid in glyphs.items()}
    glyph_widths[0] = round(metrics[tt.getGlyphOrder()[0]][0] * scale)
    head, os2, post = tt["head"], tt["OS/2"], tt["post"]
    font = Font(
        key=key, data=data, ps_name=str(tt["name"].getDebugName(6) or path.stem).replace(" ", ""),
        widths=_Widths(widths, glyph_widths[0]), glyphs=glyphs, glyph_widths=glyph_widths,
        ascent=round(tt["hhea"].ascent * scale), descent=round(tt["hhea"].descent * scale),
        cap_height=round(getattr(os2, "sCapHeight", 700) * scale),
        bbox=tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)),
        italic_angle=float(post.italicAngle))
    tt.close()
    return font


# --- pages ---------------------------------------------------------------------------------------

@dataclass
class Page:
    ops: list[str] = field(default_factory=list)


class Document:
    """Pages of text and rules; :meth:`pdf` gives the file. Coordinates in points from the top
    left of the page (converted to PDF's bottom-left origin here)."""

    def __init__(self, size: tuple[float, float] = A4_LANDSCAPE, *, title: str = "",
                 lang: str = "", author: str = "Ashyq", created: str = ""):
        self.width, self.height = size
        self.title, self.lang, self.author, self.created = title, lang, author, created
        self.fonts = {key: load_font(key) for key in FONT_FILES}
        self.names = {key: f"/F{i}".encode() for i, key in enumerate(FONT_FILES, start=1)}
        self.pages: list[Page] = []
        self._centred: dict[tuple, tuple[float, bytes]] = {}

    def new_page(self) -> Page:
        self.pages.append(Page())
        return self.pages[-1]

    def text(self, page: Page, lines: list[str], x: float, top: float, size: float,
             font: str = "regular", leading: float | None = None, align: str = "left",
             width: float = 0, gray: float = 0) -> None:
        """Lines from ``top`` (the first line's top) down; ``align`` left or center in
        ``width``."""
        f = self.fonts[font]
        encode = f.encode
        leading = leading or size * 1.25
        y = self.height - top - f.ascent * size / 1000
        head = b"BT %s%s %g Tf " % (b"%g g " % gray if gray else b"", self.names[font], size)
        if align == "left":
            shown = b" ".join([encode(line) + b" '" for line in lines[1:]])
            page.ops.append(head + b"%g TL %.2f %.2f Td %s Tj %s ET" % (
                leading, x, y, encode(lines[0]), shown))
            return
        parts = [head]
        for line in lines:
            dx = x + max(width - f.width(line, size), 0) / 2
            parts.append(b"1 0 0 1 %.2f %.2f Tm %s Tj" % (dx, y, encode(line)))
            y -= leading
        parts.append(b"ET")
        page.ops.append(b" ".join(parts))

    def cells(self, page: Page, top: float, size: float, leading: float,
              cells: list[tuple[list[str], float, float, bool, str]]) -> None:
        """One table row in one text object: ``(lines, x, width, centred, font)`` per cell, the
        first lines' tops at ``top``. Centred lines are measured once per text and width."""
        y = self.height - top - self.fonts["regular"].ascent * size / 1000
        parts = [b"BT %g TL" % leading]
        current = None
        centred_cache = self._centred
        for lines, x, width, centred, font in cells:
            if font != current:
                parts.append(b"%s %g Tf" % (self.names[font], size))
                current = font
            f = self.fonts[font]
            if centred:
                for i, line in enumerate(lines):
                    key = (font, size, width, line)
                    known = centred_cache.get(key)
                    if known is None:
                        known = centred_cache[key] = (
                            max(width - f.width(line, size), 0) / 2, f.encode(line))
                    parts.append(b"1 0 0 1 %.2f %.2f Tm %s Tj" % (x + known[0], y - i * leading,
                                                                 known[1]))
            else:
                parts.append(b"1 0 0 1 %.2f %.2f Tm %s" % (x, y, _shown(lines)))
        parts.append(b"ET")
        page.ops.append(b" ".join(parts))

    def rules(self, page: Page, segments: list[tuple[float, float, float, float]],
              width: float = 0.5) -> None:
        """Straight lines ``(x1, top1, x2, top2)``."""
        h = self.height
        path = " ".join(f"{x1:.2f} {h - y1:.2f} m {x2:.2f} {h - y2:.2f} l"
                        for x1, y1, x2, y2 in segments)
        page.ops.append(f"{width:g} w {path} S".encode())

    # -- the file -----------------------------------------------------------------------------
    def pdf(self) -> bytes:
        objects: list[bytes] = []

        def add(body: bytes) -> int:
            objects.append(body)
            return len(objects)

        catalog = add(b"")      # filled in at the end
        pages_id = add(b"")
        font_refs = {key: _font_objects(add, font) for key, font in self.fonts.items()}
        resources = b"<< /Font << " + b" ".join(
            b"%s %d 0 R" % (self.names[k], ref) for k, ref in font_refs.items()) + b" >> >>"
        resources_id = add(resources)
        kids = []
        for page in self.pages:
            content = add(_stream(b"\n".join(page.ops)))
            kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %g %g] /Resources "
                            b"%d 0 R /Contents %d 0 R >>" % (pages_id, self.width, self.height,
                                                            resources_id, content)))
        objects[pages_id - 1] = (f"<< /Type /Pages /Count {len(kids)} /Kids ["
                                 + " ".join(f"{k} 0 R" for k in kids) + "] >>").encode()
        lang = f" /Lang {_text(self.lang)}" if self.lang else ""
        objects[catalog - 1] = (f"<< /Type /Catalog /Pages {pages_id} 0 R{lang} "
                                "/ViewerPreferences << /DisplayDocTitle true >> >>").encode()
        info = [f"/Title {_text(self.title)}", f"/Author {_text(self.author)}",
                f"/Creator {_text(self.author)}", "/Producer (Ashyq)"]
        if self.created:
            info += [f"/CreationDate ({self.created})", f"/ModDate ({self.created})"]
        info_id = add(("<< " + " ".join(info) + " >>").encode())

        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
        doc_id = hashlib.sha256(bytes(out)).hexdigest()[:32]
        out += (f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info_id} 0 R "
                f"/ID [<{doc_id}> <{doc_id}>] >>\nstartxref\n{xref}\n%%EOF\n").encode()
        return bytes(out)


def _stream(data: bytes, extra: bytes = b"", level: int = 1) -> bytes:
    packed = zlib.compress(data, level)
    return (b"<< /Length %d /Filter /FlateDecode %s>>\nstream\n" % (len(packed), extra)
            + packed + b"\nendstream")


def _font_objects(add, font: Font) -> int:
    """The five objects of an embedded font; the big ones are made once a process."""
    file_, cid_map, to_unicode, widths = _font_streams(font.key, font.data)
    file_id = add(file_)
    descriptor = add((
        f"<< /Type /FontDescriptor /FontName /{font.ps_name} /Flags 32 /FontBBox "
        f"[{' '.join(map(str, font.bbox))}] /ItalicAngle {font.italic_angle:g} /Ascent "
        f"{font.ascent} /Descent {font.descent} /CapHeight {font.cap_height} /StemV 80 "
        f"/FontFile2 {file_id} 0 R >>").encode())
    map_id = add(cid_map)
    cid = add((f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{font.ps_name} "
               "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
               f"/FontDescriptor {descriptor} 0 R /DW {font.glyph_widths[0]} /W [{widths}] "
               f"/CIDToGIDMap {map_id} 0 R >>").encode())
    unicode_id = add(to_unicode)
    return add((f"<< /Type /Font /Subtype /Type0 /BaseFont /{font.ps_name} /Encoding "
                f"/Identity-H /DescendantFonts [{cid} 0 R] /ToUnicode {unicode_id} 0 R >>")
               .encode())


_BMP = 0x10000


@lru_cache(maxsize=8)
def _font_streams(key: str, data: bytes) -> tuple[bytes, bytes, str, str]:
    """Made once a process per font: the font program, the CID (UTF-16 code unit) to glyph map,
    the ToUnicode map and the widths, for every character of the Basic Multilingual Plane the
    font has."""
    font = load_font(key)
    file_ = (b"<< /Length %d /Length1 %d /Filter /FlateDecode >>\nstream\n"
             % (len(packed := zlib.compress(data, 6)), len(data)) + packed + b"\nendstream")
    bmp = sorted((ord(c), gid) for c, gid in font.glyphs.items() if ord(c) < _BMP)
    table = bytearray(2 * (bmp[-1][0] + 1))
    for code, gid in bmp:
        table[2 * code:2 * code + 2] = gid.to_bytes(2, "big")
    cid_map = _stream(bytes(table), level=6)
    lines = []
    for start in range(0, len(bmp), 100):
        chunk = bmp[start:start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{code:04X}> <{code:04X}>" for code, _gid in chunk]
        lines.append("endbfchar")
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n" + "\n".join(lines)
            + "\nendcmap CMapName currentdict /CMap defineresource pop end end")
    widths = " ".join(f"{code} [{font.glyph_widths[gid]}]" for code, gid in bmp)
    return file_, cid_map, _stream(cmap.encode("ascii"), level=6), widths


def _text(value: str) -> str:
    """A PDF text string (UTF-16BE with a BOM, in hex)."""
    return "<FEFF" + value.encode("utf-16-be").hex().upper() + ">"
