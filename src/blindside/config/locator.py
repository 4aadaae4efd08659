"""Finding the line of a table header or of a key in ``models.toml`` text.

``tomllib`` reports line numbers for syntax errors only, never for values, so
problems found after parsing are placed by this line-oriented scan.
"""

from __future__ import annotations

import re

_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([^\[\]#]+?)\s*\]\]?\s*(?:#.*)?$")


def _key_re(key: str) -> re.Pattern[str]:
    k = re.escape(key)
    # bare, "quoted" or 'quoted' key, followed by "=" or by "." of a dotted key
    return re.compile(rf"""^\s*(?:{k}|"{k}"|'{k}')\s*[=.]""")


def _table_name(raw: str) -> str:
    return ".".join(p.strip().strip("\"'") for p in raw.split("."))


class Locator:
    """Finds the line of a block header or of a key inside a block.

    A line-oriented scan, good enough for error messages; multi-line strings
    that contain header-looking lines could fool it, and then the answer falls
    back to the block header.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        # (0-based index, table name, is array-of-tables)
        self.headers: list[tuple[int, str, bool]] = []
        for i, line in enumerate(self.lines):
            m = _HEADER_RE.match(line)
            if m:
                self.headers.append((i, _table_name(m.group(2)), m.group(1) == "[["))

    def _find_key(self, key: str, start: int, end: int) -> int | None:
        pattern = _key_re(key)
        for i in range(start, end):
            if pattern.match(self.lines[i]):
                return i + 1
        return None

    def _next_header_after(self, i: int) -> int:
        for h, _, _ in self.headers:
            if h > i:
                return h
        return len(self.lines)

    def top_level(self, key: str) -> int | None:
        """Line of a top-level ``key = ...`` or the first ``[key]`` / ``[[key]]`` header."""
        first_header = self.headers[0][0] if self.headers else len(self.lines)
        line = self._find_key(key, 0, first_header)
        if line is not None:
            return line
        for h, name, _ in self.headers:
            if name == key or name.startswith(key + "."):
                return h + 1
        return None

    def table_key(self, table: str, key: str) -> int | None:
        """Line of ``key`` in the ``[table]`` table, else of its header or top-level key."""
        for h, name, is_array in self.headers:
            if name == table and not is_array:
                found = self._find_key(key, h + 1, self._next_header_after(h))
                return found if found is not None else h + 1
        return self.top_level(table)

    def block(self, table: str, index: int) -> tuple[int, int] | None:
        """0-based (header, end) of the ``index``-th ``[[table]]`` block."""
        n = -1
        for pos, (h, name, is_array) in enumerate(self.headers):
            if is_array and name == table:
                n += 1
                if n == index:
                    end = len(self.lines)
                    for h2, name2, is_array2 in self.headers[pos + 1 :]:
                        # [table.sub] sub-tables still belong to this element
                        if is_array2 or not name2.startswith(table + "."):
                            end = h2
                            break
                    return h, end
        return None

    def line(self, table: str, index: int, path: tuple[str, ...] = ()) -> int | None:
        """Best line for field ``path`` of the ``index``-th ``[[table]]`` element.

        Falls back to the block header, then to the top-level ``table`` key
        (inline arrays of tables), then None.
        """
        blk = self.block(table, index)
        if blk is None:
            return self.top_level(table)
        header, end = blk
        if not path:
            return header + 1
        own_end = min(self._next_header_after(header), end)
        found = self._find_key(path[0], header + 1, own_end)
        if found is not None:
            return found
        if len(path) > 1:
            # [models.pricing] sub-table form
            sub = f"{table}.{path[0]}"
            for h, name, is_array in self.headers:
                if header < h < end and not is_array and name == sub:
                    found = self._find_key(path[1], h + 1, min(self._next_header_after(h), end))
                    return found if found is not None else h + 1
        return header + 1
