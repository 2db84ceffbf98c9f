"""Tests for bot.fulfilment.codes: layout, generation, normalisation and the check symbol."""

from __future__ import annotations

import math
import random
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.fulfilment import codes
from bot.fulfilment.codes import (
    ALPHABET,
    CODE_LENGTH,
    ENTROPY_BITS,
    ERROR_CODES,
    GROUPS,
    PREFIX,
    RANDOM_SYMBOLS,
    CodeError,
    format_code,
    generate_code,
    normalize_code,
)

DISPLAY_RE = re.compile(r"^ALP-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{4}$")
GROUP_OF = [g for g, size in enumerate(GROUPS, start=1) for _ in range(size)]


def with_check(data: str) -> str:
    """Complete 13 data symbols with the one check symbol normalize_code accepts."""
    valid = []
    for symbol in ALPHABET:
        try:
            valid.append(normalize_code(data + symbol))
        except CodeError as exc:
            assert exc.code == "code.check"
    assert len(valid) == 1, "exactly one check symbol must complete any data"
    return valid[0]


def error_of(raw: str) -> CodeError:
    with pytest.raises(CodeError) as info:
        normalize_code(raw)
    return info.value


def substitutions(canonical: str):
    for i, original in enumerate(canonical):
        for symbol in ALPHABET:
            if symbol != original:
                yield i, canonical[:i] + symbol + canonical[i + 1 :]


def adjacent_transpositions(canonical: str):
    for i in range(len(canonical) - 1):
        a, b = canonical[i], canonical[i + 1]
        if a != b:
            yield i, canonical[:i] + b + a + canonical[i + 2 :]


# --------------------------------------------------------------------------- layout


def test_alphabet_is_crockford_base32() -> None:
    assert ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    assert len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_layout_has_at_least_60_random_bits_and_one_check_symbol() -> None:
    bits = RANDOM_SYMBOLS * math.log2(len(ALPHABET))
    assert bits == ENTROPY_BITS == 65
    assert bits >= 60
    assert CODE_LENGTH == RANDOM_SYMBOLS + 1 == sum(GROUPS) == 14


def test_field_generator_has_order_31() -> None:
    # alpha^k != 1 for 0 < k < 31 is what makes every transposition (distance <= 13) visible.
    value, order = 1, 0
    while True:
        value = codes._times_alpha(value)
        order += 1
        if value == 1:
            break
    assert order == 31


# --------------------------------------------------------------------------- generation


def test_generated_codes_are_well_formed_valid_and_unique() -> None:
    generated = [generate_code() for _ in range(10_000)]
    assert len(set(generated)) == len(generated)
    for code in generated:
        assert DISPLAY_RE.match(code), code
        canonical = normalize_code(code)
        assert canonical == code.removeprefix(PREFIX + "-").replace("-", "")
        assert set(canonical) <= set(ALPHABET)
        assert format_code(canonical) == code
    # Every random position takes every symbol: no position is constant or biased to a subset.
    for position in range(RANDOM_SYMBOLS):
        seen = Counter(normalize_code(code)[position] for code in generated)
        assert set(seen) == set(ALPHABET), position


# --------------------------------------------------------------------------- normalisation


@pytest.fixture(scope="module")
def code_with_0_and_1() -> str:
    return with_check("10ABC7K3MQ9XD")


def test_normalize_accepts_display_form(code_with_0_and_1: str) -> None:
    display = format_code(code_with_0_and_1)
    assert display.startswith("ALP-10ABC-")
    assert normalize_code(display) == code_with_0_and_1


@pytest.mark.parametrize(
    "variant",
    [
        "alp-10abc-7k3mq-9xd{c}",  # lower case
        "ALP 10ABC 7K3MQ 9XD{c}",  # spaces
        "  ALP.10ABC.7K3MQ.9XD{c}\n",  # dots, surrounding whitespace
        "ALP_10ABC_7K3MQ_9XD{c}",  # underscores
        "ALP–10ABC—7K3MQ‐9XD{c}",  # en dash, em dash, hyphen
        "ALP-10A\u200bBC-7K3MQ-9XD{c}",  # zero-width space from copy and paste
        "10ABC-7K3MQ-9XD{c}",  # no prefix
        "10ABC7K3MQ9XD{c}",  # compact, no prefix
        "ALP10ABC7K3MQ9XD{c}",  # prefix glued on
        "ALP-IOABC-7K3MQ-9XD{c}",  # I read as 1, O as 0
        "ALP-LoABC-7K3MQ-9XD{c}",  # L read as 1, lower-case o as 0
        "alp-l0abc-7k3mq-9xd{c}",  # lower-case l
    ],
)
def test_normalize_accepts_typing_variants(code_with_0_and_1: str, variant: str) -> None:
    assert normalize_code(variant.format(c=code_with_0_and_1[-1])) == code_with_0_and_1


def test_normalize_accepts_full_width_forms(code_with_0_and_1: str) -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in format_code(code_with_0_and_1))
    assert full_width.startswith("ＡＬＰ－")
    assert normalize_code(full_width) == code_with_0_and_1
    spaced = full_width.replace("－", "\u3000")  # ideographic space
    assert normalize_code(spaced) == code_with_0_and_1


def test_code_starting_with_a1p_typed_as_alp_without_prefix() -> None:
    canonical = with_check("A1P0000000000")
    assert normalize_code("alp00-00000-000" + canonical[-1]) == canonical
    assert normalize_code(format_code(canonical)) == canonical


@pytest.mark.parametrize(
    ("raw", "length"),
    [
        ("", 0),
        ("---", 0),
        ("ALP", 0),
        ("ALP-10ABC-7K3MQ-9XD", 13),
        ("10ABC7K3MQ9XD", 13),
        ("ALP-10ABC-7K3MQ-9XD00", 15),
        ("10ABC7K3MQ9XD00", 15),
        ("ALP-10ABC-7K3MQ-9XD00-00000", 20),
    ],
)
def test_normalize_rejects_wrong_length(raw: str, length: int) -> None:
    error = error_of(raw)
    assert error.code == "code.length"
    assert error.params == {"length": length, "expected": CODE_LENGTH}


@pytest.mark.parametrize(
    ("raw", "chars"),
    [
        ("ALP-10ABU-7K3MQ-9XDZ", "U"),
        ("alp-10abu-7k3mq-9xdz", "u"),
        ("ALP-10AB*-7K3M#-9XD*", "* #"),
        ("ALP-10AB中-7K3MQ-9XDZ", "中"),
        ("ALP-10AB🙂-7K3MQ-9XDZ", "🙂"),
        ("ALP-10ABß-7K3MQ-9XD", "ß"),
        ("ALP-10AB\x00-7K3MQ-9XDZ", "U+0000"),
        ("U", "U"),  # bad characters are reported before the length
    ],
)
def test_normalize_rejects_bad_characters(raw: str, chars: str) -> None:
    error = error_of(raw)
    assert error.code == "code.characters"
    assert error.params == {"chars": chars}


def test_errors_use_only_declared_codes(code_with_0_and_1: str) -> None:
    raised = {
        error_of("!").code,
        error_of("0").code,
        error_of(code_with_0_and_1[:-1] + ("0" if code_with_0_and_1[-1] != "0" else "1")).code,
    }
    assert raised == set(ERROR_CODES)
    error = CodeError("code.check", {"group": 2})
    assert isinstance(error, ValueError)
    assert repr(error) == "CodeError('code.check', {'group': 2})"


def test_format_code_validates(code_with_0_and_1: str) -> None:
    assert format_code(code_with_0_and_1) == "ALP-10ABC-7K3MQ-9XD" + code_with_0_and_1[-1]
    assert format_code(code_with_0_and_1.lower()) == format_code(code_with_0_and_1)
    with pytest.raises(CodeError):
        format_code(code_with_0_and_1[:-1])


# --------------------------------------------------------------------------- check symbol


def test_every_single_error_pattern_is_caught_by_linearity() -> None:
    # The check is GF(2)-linear, so an error is caught iff the error pattern alone (applied to
    # the all-zero code) has a non-zero syndrome. This enumerates every pattern: a proof.
    zero = [0] * CODE_LENGTH
    for i in range(CODE_LENGTH):
        for e in range(1, 32):
            pattern = zero.copy()
            pattern[i] = e
            assert codes._syndrome(pattern) != 0, ("substitution", i, e)
    for i in range(CODE_LENGTH):
        for j in range(i + 1, CODE_LENGTH):  # every transposition, not only adjacent ones
            for d in range(1, 32):
                pattern = zero.copy()
                pattern[i] = pattern[j] = d  # swapping a and b adds a^b at both positions
                assert codes._syndrome(pattern) != 0, ("transposition", i, j, d)


@settings(database=None)
@given(
    st.lists(st.integers(0, 31), min_size=CODE_LENGTH, max_size=CODE_LENGTH),
    st.lists(st.integers(0, 31), min_size=CODE_LENGTH, max_size=CODE_LENGTH),
)
def test_syndrome_is_linear(a: list[int], b: list[int]) -> None:
    combined = [x ^ y for x, y in zip(a, b, strict=True)]
    assert codes._syndrome(combined) == codes._syndrome(a) ^ codes._syndrome(b)


@settings(max_examples=60, deadline=None, database=None)
@given(st.text(alphabet=ALPHABET, min_size=RANDOM_SYMBOLS, max_size=RANDOM_SYMBOLS))
def test_property_every_substitution_and_adjacent_transposition_is_caught(data: str) -> None:
    canonical = with_check(data)
    for _, typo in [*substitutions(canonical), *adjacent_transpositions(canonical)]:
        assert error_of(typo).code == "code.check", typo
        assert error_of(format_code_unchecked(typo)).code == "code.check", typo


def format_code_unchecked(compact: str) -> str:
    """Display form of a (possibly invalid) compact code, as a merchant would type it."""
    return "-".join([PREFIX, compact[:5], compact[5:10], compact[10:]])


def test_exhaustive_typos_of_random_codes_are_caught() -> None:
    for _ in range(300):
        canonical = normalize_code(generate_code())
        typos = [*substitutions(canonical), *adjacent_transpositions(canonical)]
        assert len(typos) >= CODE_LENGTH * 31
        for _, typo in typos:
            try:
                normalize_code(typo)
            except CodeError as exc:
                assert exc.code == "code.check", typo
            else:
                pytest.fail(f"typo {typo} of {canonical} was accepted")


# --------------------------------------------------------------------------- locating typos


def plausible_typos(canonical: str):
    """(typo, positions) for adjacent transpositions and confusable substitutions."""
    for i, typo in adjacent_transpositions(canonical):
        yield typo, {i, i + 1}
    for i, original in enumerate(canonical):
        for other in codes._CONFUSABLE[ALPHABET.index(original)]:
            yield canonical[:i] + ALPHABET[other] + canonical[i + 1 :], {i}


def test_reported_group_is_never_wrong_for_plausible_typos() -> None:
    rng = random.Random(20240611)
    located = total = 0
    for _ in range(400):
        canonical = with_check("".join(rng.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS)))
        for typo, positions in plausible_typos(canonical):
            group = error_of(typo).params["group"]
            total += 1
            if group is not None:
                located += 1
                assert group in {GROUP_OF[p] for p in positions}, (canonical, typo, group)
    # One check symbol cannot always tell where the typo is; it should often be able to.
    assert located / total > 0.3


@pytest.mark.parametrize("group", [1, 2, 3])
def test_transposition_in_each_group_can_be_located(group: int) -> None:
    rng = random.Random(group)
    start = sum(GROUPS[: group - 1])
    for _ in range(200):
        canonical = with_check("".join(rng.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS)))
        i = start + 1
        typo = canonical[:i] + canonical[i + 1] + canonical[i] + canonical[i + 2 :]
        if typo != canonical and error_of(typo).params["group"] == group:
            # Typed the way it is shown, with prefix and separators, it is located the same.
            assert error_of(format_code_unchecked(typo).lower()).params == {"group": group}
            return
    pytest.fail(f"no locatable transposition in group {group}")


def test_group_is_none_when_the_typo_cannot_be_located() -> None:
    rng = random.Random(7)
    for _ in range(200):
        canonical = with_check("".join(rng.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS)))
        fixes_in = set()
        typo = canonical[:-1] + rng.choice(ALPHABET.replace(canonical[-1], ""))
        for fixed, positions in plausible_typos(typo):
            try:
                normalize_code(fixed)
            except CodeError:
                continue
            fixes_in |= {GROUP_OF[p] for p in positions}
        if len(fixes_in) != 1:
            assert error_of(typo).params == {"group": None}
            return
    pytest.fail("every typo was locatable, which one check symbol cannot achieve")
