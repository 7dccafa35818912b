"""What python-calamine reads without a word, found in a sheet's own XML: formulas without a
value Excel saved (calamine reads them as empty) and hidden rows (read like the others).

A sheet's part (xl/worksheets/sheetN.xml) is found through xl/workbook.xml and its
relationships, then streamed in chunks. A million rows are about 170 MB of XML, which takes
about 0.4 s to inflate, so only bytes.find and bytes.count run over all of it, and only the
few places they point at are parsed: a sheet without formulas costs one find for '</f>' (a
shared formula's other cells, <f t="shared" si="0"/>, come after its first cell, which has
'</f>') and one regular expression search for hidden="1"; where each formula is followed by
its value, formulas are counted, not parsed. The workbook module runs this while calamine
reads the sheets.
"""

import array
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

CHUNK_BYTES = 4 << 20
ROOT_WITHIN = 64 << 10  # bytes: a part whose root is not a worksheet by then is not scanned
SHOWN = 10  # cells or rows named in a warning; the others are counted
_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
_REFERENCE = re.compile(rb"""\sr=["']([A-Z]{0,3})([0-9]+)["']""")
_CELL_TYPE = re.compile(rb"""\st=["']([^"']*)["']""")
# Searched with its literal start, in C: LibreOffice writes hidden="false" on every row.
_HIDDEN = re.compile(rb"""hidden=["'](?:1|true)["']""")


@dataclass
class SheetXml:
    formulas_without_value: int = 0
    formula_cells: list[str] = field(default_factory=list)  # the first SHOWN of them: 'A5'
    hidden_rows: array.array = field(default_factory=lambda: array.array("L"))  # 1-based

    def add_formula(self, cell: str | None) -> None:
        self.formulas_without_value += 1
        if cell and len(self.formula_cells) < SHOWN:
            self.formula_cells.append(cell)


def scan_sheets(path, names: list[str]) -> dict[str, SheetXml]:
    """The formulas without a saved value and the hidden rows of each sheet in `names` (a
    sheet whose part is not found is left out)."""
    with zipfile.ZipFile(path) as archive:
        parts = sheet_parts(archive)
        return {name: scan_sheet(archive, parts[name]) for name in names if name in parts}


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each worksheet's name -> its part in the package ('xl/worksheets/sheet1.xml')."""
    names = {name.casefold(): name for name in archive.namelist()}  # part names ignore case
    if not {"xl/workbook.xml", "xl/_rels/workbook.xml.rels"} <= names.keys():
        return {}
    # Small parts calamine has parsed already; expat (>= 2.4) bounds entity expansion, and
    # ElementTree resolves no external entity.
    # Elements and attributes are matched by local name: transitional and strict OOXML
    # differ in their namespaces only.
    relationships = ElementTree.fromstring(  # noqa: S314
        archive.read(names["xl/_rels/workbook.xml.rels"])
    )
    targets = {
        relationship.get("Id"): relationship.get("Target", "")
        for relationship in relationships
        if _local(relationship.tag) == "Relationship"
    }
    parts = {}
    workbook = ElementTree.fromstring(archive.read(names["xl/workbook.xml"]))  # noqa: S314
    for sheet in (element for element in workbook.iter() if _local(element.tag) == "sheet"):
        ids = [value for key, value in sheet.attrib.items() if key.endswith("}id")]
        target = targets.get(ids[0], "") if ids else ""
        part = target[1:] if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        if target and part.casefold() in names:
            parts[sheet.get("name")] = names[part.casefold()]
    return parts


def _local(tag: str) -> str:
    """An element's name without its namespace: '{...}sheet' -> 'sheet'."""
    return tag.rpartition("}")[2]


class _Tags:
    """The byte patterns of a sheet whose elements carry `prefix` (b'' or b'x:')."""

    def __init__(self, prefix: bytes):
        self.formula_start = b"<" + prefix + b"f"
        self.formula_end = b"</" + prefix + b"f>"
        self.formula = re.compile(re.escape(self.formula_start) + rb"[\s>/]")
        self.formula_then_value = (
            b"</" + prefix + b"f><" + prefix + b"v>",
            b"/><" + prefix + b"v>",
        )
        self.empty_value = b"<" + prefix + b"v></" + prefix + b"v>"
        self.cell = b"<" + prefix + b"c"
        self.cell_end = b"</" + prefix + b"c>"
        self.value = re.compile(b"<" + re.escape(prefix) + rb"v[\s>/]")
        self.value_end = b"</" + prefix + b"v>"
        self.row = re.compile(b"<" + re.escape(prefix) + rb"row\s")
        self.row_end = b"</" + prefix + b"row>"


def scan_sheet(archive: zipfile.ZipFile, part: str) -> SheetXml:
    """The sheet's formulas without a saved value, and its hidden rows (by their r attribute,
    which Excel always writes)."""
    found = SheetXml()
    tags = None
    text = b""
    formulas = False  # whether a formula was seen yet
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            text += chunk
            if tags is None:
                root = _ROOT_TAG.search(text)
                if root is None and len(text) > ROOT_WITHIN:
                    return found  # not a worksheet (a chart sheet)
                if root is None:
                    continue
                tags = _Tags(root.group(1) or b"")
            end = text.rfind(tags.row_end)  # scan whole rows; the rest waits for the next chunk
            if end >= 0:
                end += len(tags.row_end)
                formulas = formulas or text.find(tags.formula_end, 0, end) >= 0
                _scan(text, end, tags, found, formulas)
                text = text[end:]
    if text and tags is not None:
        formulas = formulas or text.find(tags.formula_end) >= 0
        _scan(text, len(text), tags, found, formulas)
    return found


def _scan(text: bytes, end: int, tags: _Tags, found: SheetXml, formulas: bool) -> None:
    """Scan text[:end]."""
    if formulas:  # look at each formula, unless each is followed by its value
        count = text.count(tags.formula_start, 0, end)
        valued = sum(text.count(pattern, 0, end) for pattern in tags.formula_then_value)
        if count != valued - text.count(tags.empty_value, 0, end):
            for match in tags.formula.finditer(text, 0, end):
                cell_start = text.rfind(tags.cell, 0, match.start())  # f: a cell's first child
                start_tag = text[cell_start : text.find(b">", cell_start)]
                body = text[match.start() : text.find(tags.cell_end, match.start())]
                if not _has_saved_value(start_tag, body, tags):
                    reference = _REFERENCE.search(start_tag)
                    found.add_formula(b"".join(reference.groups()).decode() if reference else None)
    for hidden in _HIDDEN.finditer(text, 0, end):
        tag = text[text.rfind(b"<", 0, hidden.start()) : text.find(b">", hidden.end())]
        reference = _REFERENCE.search(tag)
        if tags.row.match(tag) and reference:  # a row's (a column's is no matter)
            found.hidden_rows.append(int(reference.group(2)))


def _has_saved_value(start_tag: bytes, body: bytes, tags: _Tags) -> bool:
    """Whether a formula cell (its start tag, and its content from <f> on) holds a value."""
    value = tags.value.search(body)
    if value is None:
        return False
    open_end = body.find(b">", value.start())
    if body[open_end - 1 : open_end] != b"/" and body.find(tags.value_end, open_end) > open_end + 1:
        return True  # <v>something</v>
    cell_type = _CELL_TYPE.search(start_tag)
    return bool(cell_type) and cell_type.group(1) == b"str"  # empty text: Excel saves <v></v>
