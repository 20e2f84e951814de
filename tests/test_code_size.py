"""Size limits of the package (issue 11 bar): no file over 400 lines, no function over 60.

Files are counted in physical lines; a function (or method, nested ones included) from its
``def`` line to its last line, decorators excluded. The database migrations are exempt.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hepvision"
EXEMPT = (PACKAGE / "server" / "migrations",)
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60


def package_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if not any(p.is_relative_to(e) for e in EXEMPT))


def oversized(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """``path: N lines`` and ``path:LINE name(): N lines`` for everything over the limits
    (paths relative to ``root``)."""
    rel = path.relative_to(root)
    text = path.read_text(encoding="utf-8")
    out = []
    lines = len(text.splitlines())
    if lines > MAX_FILE_LINES:
        out.append(f"{rel}: {lines} lines (limit {MAX_FILE_LINES})")
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            size = node.end_lineno - node.lineno + 1
            if size > MAX_FUNCTION_LINES:
                out.append(f"{rel}:{node.lineno} {node.name}(): {size} lines "
                           f"(limit {MAX_FUNCTION_LINES})")
    return out


def test_the_walk_finds_the_package() -> None:
    files = package_files()
    assert PACKAGE / "__init__.py" in files
    assert not any("migrations" in p.parts for p in files)


def test_no_file_or_function_over_the_limits() -> None:
    offenders = [line for path in package_files() for line in oversized(path)]
    assert not offenders, "over the size limits:\n" + "\n".join(offenders)


def test_the_check_sees_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    src = tmp_path / "long.py"
    src.write_text(f"@staticmethod\ndef long():\n{body}\n\n\ndef short():\n    return 1\n")
    assert oversized(src, tmp_path) == [
        f"long.py:2 long(): {MAX_FUNCTION_LINES + 1} lines (limit {MAX_FUNCTION_LINES})"]
