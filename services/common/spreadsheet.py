"""Cells of CSV exports that a spreadsheet would run as a formula (``=``, ``@``, ``+``/``-`` not a number, a
leading tab or carriage return) are written with a leading ``'``, which spreadsheets show as text; ``restored``
removes it again when such a file is imported. Mechanics shared by every CSV the services write."""
from __future__ import annotations

import re

_FORMULA = re.compile(r"^[=@\t\r]|^[+-](?![0-9 ()-]*$)")


def inert(cell: str) -> str:
    """The cell as a spreadsheet shows it as text, never runs it."""
    return f"'{cell}" if _FORMULA.match(cell) else cell


def restored(cell: str) -> str:
    """What ``inert`` was given (an imported cell, surrounding spaces removed)."""
    cell = cell.strip()
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell[1:]) else cell
