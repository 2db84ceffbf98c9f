"""Application codes (申请码): generation, normalisation and check-symbol verification.

Layout
------
Display form ``ALP-XXXXX-XXXXX-XXXX``: the fixed prefix ``ALP`` and 14 Crockford base32
symbols (``0123456789ABCDEFGHJKMNPQRSTVWXYZ``) in groups of 5, 5 and 4. Symbols 1-13 are
random (13 x 5 = 65 bits from :mod:`secrets`); symbol 14 is the check symbol. The canonical
form, used as the lookup key, is the 14 symbols alone: upper case, no prefix, no separators.

Check symbol
------------
Symbol values 0..31 are taken as elements of GF(32) = GF(2)[x] / (x^5 + x^2 + 1), where
addition is XOR and alpha = x. A code c_0 .. c_13 is valid iff

    S = sum of c_i * alpha^(13 - i) = 0,

i.e. the code read as a polynomial vanishes at alpha (a one-symbol Reed-Solomon parity,
computed by Horner's rule). Because the check lives in a field of exactly 32 elements it
needs no symbols outside the alphabet (unlike Crockford's mod-37 check with ``*~$=U``).

* A substitution c_i -> c_i + e (e != 0) changes S by e * alpha^(13 - i), which is non-zero
  because a field has no zero divisors: every single substitution is caught.
* Swapping positions i < j that hold a != b changes S by
  (a + b) * alpha^(13 - j) * (alpha^(j - i) + 1), non-zero because x^5 + x^2 + 1 is primitive,
  so alpha has order 31 > 13 >= j - i: every transposition is caught, adjacent or not,
  including one involving the check symbol.

S is GF(2)-linear, so whether an error is caught depends only on the error pattern, never
on the code; the tests enumerate all such patterns, which makes the guarantee exhaustive.

Locating a typo
---------------
One check symbol can detect but not locate an error: for any S != 0 and any position i
there is exactly one substitution (e = S / alpha^(13 - i)) that makes the code valid, so
every position is a candidate. We therefore only consider *plausible* typos: adjacent
transpositions and substitutions between symbols people confuse (see ``_CONFUSABLE_PAIRS``).
If all plausible single edits that make the code valid fall into one group, that group is
reported; otherwise the group is unknown (``None``).
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = [
    "ALPHABET",
    "CODE_LENGTH",
    "ENTROPY_BITS",
    "ERROR_CODES",
    "GROUPS",
    "PREFIX",
    "RANDOM_SYMBOLS",
    "CodeError",
    "format_code",
    "generate_code",
    "normalize_code",
]

# Error codes raised by normalize_code; one message template each. Params:
#   code.length:     length (symbols typed, without prefix and separators), expected (14)
#   code.characters: chars (offending characters as typed, de-duplicated, space separated,
#                    invisible ones written as U+XXXX)
#   code.check:      group (1-based group most likely holding the typo, or None if unknown)
ERROR_CODES: tuple[str, ...] = ("code.length", "code.characters", "code.check")

PREFIX = "ALP"
SEPARATOR = "-"
# Crockford base32: no I, L, O (look like 1 and 0) and no U (accidental obscenity).
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BITS_PER_SYMBOL = 5
RANDOM_SYMBOLS = 13
CODE_LENGTH = RANDOM_SYMBOLS + 1  # random symbols + one check symbol
ENTROPY_BITS = RANDOM_SYMBOLS * BITS_PER_SYMBOL  # 65
GROUPS: tuple[int, ...] = (5, 5, 4)

_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford's decoding rules: letters that look like digits are read as those digits.
_ALIASES = {"I": "1", "L": "1", "O": "0"}
# Ignored on input besides whitespace, dashes (Pd), connectors such as "_" (Pc) and invisible
# format characters (Cf: zero-width spaces, BOM, bidi marks picked up by copy and paste).
_EXTRA_SEPARATORS = frozenset(".·・。")
_SEPARATOR_CATEGORIES = frozenset({"Pd", "Pc", "Cf"})
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})

# x^5 + x^2 + 1, a primitive polynomial over GF(2): alpha = x generates all 31 non-zero
# elements, which the transposition proof above relies on.
_FIELD_POLY = 0b100101

# Symbols commonly confused, used only to guess where a typo is (never to accept a code).
# Visual: print, handwriting and screenshots of the voucher. Aural: letter names spoken over
# the phone (B/D/P/T/V rhyme; M/N; F/S) and 1/7 (yī/qī) in Chinese.
_CONFUSABLE_PAIRS = (
    "0D 0Q 17 2Z 5S 6G 6B 8B 38 9G 9Q EF PR MN MW VW VY KX CG"  # visual
    " BD BP BV DT PT FS"  # aural
)
_GROUP_OF: tuple[int, ...] = tuple(g for g, size in enumerate(GROUPS, start=1) for _ in range(size))


def _build_confusables() -> dict[int, tuple[int, ...]]:
    table: dict[int, set[int]] = {v: set() for v in range(len(ALPHABET))}
    for a, b in _CONFUSABLE_PAIRS.split():
        table[_VALUE[a]].add(_VALUE[b])
        table[_VALUE[b]].add(_VALUE[a])
    return {v: tuple(sorted(others)) for v, others in table.items()}


_CONFUSABLE = _build_confusables()


class CodeError(ValueError):
    """An application code was rejected; ``code`` selects the template, ``params`` fill it."""

    def __init__(self, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.params: dict[str, Any] = dict(params or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.params!r})"


def _times_alpha(value: int) -> int:
    value <<= 1
    if value & 0b100000:
        value ^= _FIELD_POLY
    return value


def _syndrome(values: Sequence[int]) -> int:
    # Horner's rule: sum of values[i] * alpha^(len - 1 - i) in GF(32).
    acc = 0
    for value in values:
        acc = _times_alpha(acc) ^ value
    return acc


def _check_value(data: Sequence[int]) -> int:
    # The check symbol c makes alpha * S(data) + c = 0, and -1 = 1 in characteristic 2.
    return _times_alpha(_syndrome(data))


def _split_groups(compact: str) -> list[str]:
    parts, start = [], 0
    for size in GROUPS:
        parts.append(compact[start : start + size])
        start += size
    return parts


def generate_code() -> str:
    """Return a new random application code in display form, e.g. ``ALP-7K3MQ-9XD2W-HFA4``."""
    number = secrets.randbits(ENTROPY_BITS)
    data = [
        (number >> (BITS_PER_SYMBOL * k)) & (len(ALPHABET) - 1)
        for k in reversed(range(RANDOM_SYMBOLS))
    ]
    compact = "".join(ALPHABET[v] for v in [*data, _check_value(data)])
    return SEPARATOR.join([PREFIX, *_split_groups(compact)])


def _is_separator(ch: str) -> bool:
    return (
        ch.isspace() or ch in _EXTRA_SEPARATORS or unicodedata.category(ch) in _SEPARATOR_CATEGORIES
    )


def _show(chars: Sequence[str]) -> str:
    seen = dict.fromkeys(chars)  # de-duplicate, keep order
    return " ".join(
        f"U+{ord(c):04X}" if unicodedata.category(c) in _INVISIBLE_CATEGORIES else c for c in seen
    )


def _plausible_fixes(values: Sequence[int]) -> Iterator[tuple[list[int], tuple[int, ...]]]:
    """Yield (edited values, edited positions) for every plausible single typo."""
    for i in range(len(values) - 1):
        if values[i] != values[i + 1]:
            swapped = list(values)
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
            yield swapped, (i, i + 1)
    for i, value in enumerate(values):
        for other in _CONFUSABLE[value]:
            replaced = list(values)
            replaced[i] = other
            yield replaced, (i,)


def _locate_typo(values: Sequence[int]) -> int | None:
    groups = {
        _GROUP_OF[pos]
        for fixed, positions in _plausible_fixes(values)
        if _syndrome(fixed) == 0
        for pos in positions
    }
    return groups.pop() if len(groups) == 1 else None


def normalize_code(raw: str) -> str:
    """Return the canonical 14-symbol form of a typed code or raise :class:`CodeError`."""
    # NFKC folds full-width letters, digits and dashes (Ａ, ７, －) into ASCII.
    kept = [ch for ch in unicodedata.normalize("NFKC", raw) if not _is_separator(ch)]
    upper = [ch.upper() for ch in kept]
    # The prefix is optional. A 14-symbol input is never treated as prefixed: a code may itself
    # start with A1P, which a merchant may type as "ALP" under the Crockford rules.
    if "".join(upper[: len(PREFIX)]) == PREFIX and len(upper) != CODE_LENGTH:
        kept, upper = kept[len(PREFIX) :], upper[len(PREFIX) :]
    symbols = [_ALIASES.get(ch, ch) for ch in upper]
    bad = [orig for orig, ch in zip(kept, symbols, strict=True) if ch not in _VALUE]
    if bad:
        raise CodeError("code.characters", {"chars": _show(bad)})
    if len(symbols) != CODE_LENGTH:
        raise CodeError("code.length", {"length": len(symbols), "expected": CODE_LENGTH})
    values = [_VALUE[ch] for ch in symbols]
    if _syndrome(values) != 0:
        raise CodeError("code.check", {"group": _locate_typo(values)})
    return "".join(symbols)


def format_code(canonical: str) -> str:
    """Return the display form ``ALP-XXXXX-XXXXX-XXXX`` of a valid code (any accepted input)."""
    # Normalising again guarantees that only valid codes are ever displayed.
    return SEPARATOR.join([PREFIX, *_split_groups(normalize_code(canonical))])
