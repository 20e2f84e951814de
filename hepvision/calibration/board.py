"""The printable calibration board: an SVG at true scale (millimetre units), with a 100 mm scale
bar to check the print with a ruler (printers scale pages to fit unless told not to)."""

from __future__ import annotations

from hepvision.calibration.intrinsics import Board

#: Page sizes tried in order (landscape, mm): A4, A3.
PAGES_MM = (("A4", 297.0, 210.0), ("A3", 420.0, 297.0))
#: White space around the squares (mm): the detector needs a quiet border.
QUIET_MM = 8.0
#: Room under the board for the text and the scale bar (mm).
FOOTER_MM = 16.0


def page_for(board: Board) -> tuple[str, float, float]:
    """The smallest page the board fits on: (name, width mm, height mm)."""
    w = (board.cols + 1) * board.square_mm + 2 * QUIET_MM
    h = (board.rows + 1) * board.square_mm + 2 * QUIET_MM + FOOTER_MM
    for name, pw, ph in PAGES_MM:
        if w <= pw and h <= ph:
            return name, pw, ph
    return "custom", round(w + 10.0, 1), round(h + 10.0, 1)


def board_svg(board: Board) -> str:
    """The board as an SVG document whose units are millimetres on paper."""
    name, pw, ph = page_for(board)
    sq = board.square_mm
    bw, bh = (board.cols + 1) * sq, (board.rows + 1) * sq
    x0, y0 = (pw - bw) / 2, max(5.0, (ph - bh - FOOTER_MM) / 2)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{pw:g}mm" height="{ph:g}mm" '
        f'viewBox="0 0 {pw:g} {ph:g}">',
        f'<rect x="0" y="0" width="{pw:g}" height="{ph:g}" fill="#fff"/>',
    ]
    for j in range(board.rows + 1):
        for i in range(board.cols + 1):
            if (i + j) % 2 == 0:
                parts.append(f'<rect x="{x0 + i * sq:.3f}" y="{y0 + j * sq:.3f}" '
                             f'width="{sq:g}" height="{sq:g}" fill="#000"/>')
    ty = y0 + bh + QUIET_MM + 1.0
    parts.append(
        f'<text x="{x0:.3f}" y="{ty:.3f}" font-family="sans-serif" font-size="3.5">'
        f'hepvision calibration board {board.cols}x{board.rows} inner corners, squares '
        f'{sq:g} mm ({name} landscape). Print at 100 % (actual size), glue flat.</text>')
    bar_y = ty + 4.5
    parts.append(f'<rect x="{x0:.3f}" y="{bar_y:.3f}" width="100" height="1.5" fill="#000"/>')
    for k in range(11):
        tick = 4.0 if k % 5 == 0 else 2.5
        parts.append(f'<rect x="{x0 + 10 * k - 0.15:.3f}" y="{bar_y - tick + 1.5:.3f}" '
                     f'width="0.3" height="{tick:g}" fill="#000"/>')
    parts.append(
        f'<text x="{x0 + 104:.3f}" y="{bar_y + 1.6:.3f}" font-family="sans-serif" '
        f'font-size="3.5">this bar is 100 mm: check it with a ruler; a square is {sq:g} mm'
        '</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
