"""Tests for bot.application.validation: every field of the merchant application."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from stdnum.cn import ric

from bot.application.validation import (
    BUSINESS_CATEGORIES,
    ERROR_CODES,
    AccountKind,
    BusinessCategory,
    FieldError,
    Gender,
    SubjectType,
    check_account_holder,
    validate_account_number,
    validate_address,
    validate_bank_name,
    validate_business_category,
    validate_merchant_name,
    validate_mobile,
    validate_person_name,
    validate_products,
    validate_resident_id,
    validate_uscc,
)

TODAY = date(2025, 6, 1)
USCC_EXAMPLES = ("91350100M000100Y43", "91110108717743469K")
RIC_FEMALE_1949 = "11010519491231002X"
RIC_MALE_2000_ABOLISHED_COUNTY = "440524200001010013"
CARD = "4111111111111111"


def make_ric(body17: str) -> str:
    """Build a resident ID with a correct check character (computed by stdnum)."""
    return body17 + ric.calc_check_digit(body17 + "0")


def raises_code(code: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> FieldError:
    with pytest.raises(FieldError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value
    assert info.value.code in ERROR_CODES
    return info.value


def ric_today(raw: str) -> Any:
    return validate_resident_id(raw, today=TODAY)


def holder(
    name: str, kind: str, subject: str = "individual", rep: str = "张三", merchant: str = "某店"
) -> None:
    check_account_holder(
        name, kind, legal_rep_name=rep, merchant_name=merchant, subject_type=subject
    )


# One invalid input per code: proves each code in ERROR_CODES is reachable (and so needs a
# template), and that nothing raises a code missing from the tuple.
INVALID_CASES: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("name.too_short", validate_merchant_name, ("店",)),
    ("name.too_long", validate_merchant_name, ("店" * 51,)),
    ("name.bad_characters", validate_merchant_name, ("好运😀小店",)),
    ("name.no_letters", validate_merchant_name, ("123",)),
    ("person_name.too_short", validate_person_name, ("张",)),
    ("person_name.too_long", validate_person_name, ("A" * 31,)),
    ("person_name.bad_characters", validate_person_name, ("张三3",)),
    ("person_name.misplaced_dot", validate_person_name, ("买买提·",)),
    ("uscc.length", validate_uscc, ("91350100M000100Y4",)),
    ("uscc.format", validate_uscc, ("91350100M00010OY43",)),
    ("uscc.checksum", validate_uscc, ("91350100M000100Y44",)),
    ("ric.length", ric_today, ("11010519491231002",)),
    ("ric.format", ric_today, ("1101051949123100AX",)),
    ("ric.birth_date", ric_today, ("11010519491331002X",)),
    ("ric.checksum", ric_today, ("110105194912310021",)),
    ("ric.region", ric_today, (make_ric("00010519491231002"),)),
    ("ric.future", ric_today, (make_ric("11010520300101002"),)),
    ("ric.minor", ric_today, (make_ric("11010520100101002"),)),
    ("ric.too_old", ric_today, ("440524188001010014",)),
    ("account.not_digits", validate_account_number, ("4111a11111111111", "personal_card")),
    ("account.personal_length", validate_account_number, ("411111111111", "personal_card")),
    ("account.luhn", validate_account_number, ("4111111111111112", "personal_card")),
    ("account.corporate_length", validate_account_number, ("12345", "corporate")),
    ("account.personal_not_allowed", holder, ("张三", "personal_card", "enterprise")),
    ("account.holder_mismatch", holder, ("李四", "personal_card")),
    ("bank.too_short", validate_bank_name, ("行",)),
    ("bank.too_long", validate_bank_name, ("银" * 41,)),
    ("bank.bad_characters", validate_bank_name, ("工商银行★",)),
    ("phone.invalid", validate_mobile, ("1380013800",)),
    ("phone.not_mobile", validate_mobile, ("010-65529988",)),
    ("phone.not_cn", validate_mobile, ("+1 650 253 0000",)),
    ("address.too_short", validate_address, ("北京市",)),
    ("address.too_long", validate_address, ("路" * 201,)),
    ("address.bad_characters", validate_address, ("北京市朝阳区\x00建国路1号",)),
    ("products.too_short", validate_products, ("茶",)),
    ("products.too_long", validate_products, ("茶" * 201,)),
    ("products.bad_characters", validate_products, ("奶茶🧋和咖啡",)),
    ("category.unknown", validate_business_category, ("casino",)),
]


@pytest.mark.parametrize(("code", "fn", "args"), INVALID_CASES, ids=[c[0] for c in INVALID_CASES])
def test_invalid_input_is_rejected_with_its_precise_code(
    code: str, fn: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    raises_code(code, fn, *args)


def test_every_error_code_is_reachable_and_listed_once() -> None:
    assert len(set(ERROR_CODES)) == len(ERROR_CODES)
    assert {code for code, _, _ in INVALID_CASES} == set(ERROR_CODES)


def test_field_error_carries_code_and_params() -> None:
    error = FieldError("uscc.length", {"length": 3, "expected": 18})
    assert (error.code, error.params) == ("uscc.length", {"length": 3, "expected": 18})
    assert FieldError("uscc.checksum").params == {}


# --------------------------------------------------------------------------- names


def test_merchant_name_is_trimmed_and_inner_whitespace_collapsed() -> None:
    assert validate_merchant_name("  福州  某某\n贸易 有限公司\u3000") == "福州 某某 贸易 有限公司"


def test_merchant_name_keeps_full_width_brackets_as_on_the_licence() -> None:
    assert validate_merchant_name("某某科技（北京）有限公司") == "某某科技（北京）有限公司"


def test_merchant_name_length_error_reports_length_and_limits() -> None:
    error = raises_code("name.too_long", validate_merchant_name, "店" * 51)
    assert error.params == {"length": 51, "min": 2, "max": 50}


def test_merchant_name_with_control_character_names_it_visibly() -> None:
    error = raises_code("name.bad_characters", validate_merchant_name, "某某\u200b小店")
    assert error.params == {"chars": "U+200B"}


def test_merchant_name_with_emoji_variation_selector_is_refused() -> None:
    raises_code("name.bad_characters", validate_merchant_name, "小店❤️")


def test_chinese_person_name_is_accepted() -> None:
    assert validate_person_name(" 张三 ") == "张三"


def test_spaces_typed_inside_a_chinese_name_are_removed() -> None:
    assert validate_person_name("欧阳 小明") == "欧阳小明"


def test_minority_name_middle_dot_variants_are_normalised() -> None:
    assert validate_person_name("买买提・艾力") == "买买提·艾力"
    assert validate_person_name("买买提 • 艾力") == "买买提·艾力"


def test_foreign_latin_name_is_accepted() -> None:
    assert validate_person_name("Jean-Luc  O'Brien") == "Jean-Luc O'Brien"


def test_typographic_apostrophe_in_foreign_name_is_normalised() -> None:
    assert validate_person_name("Conor O’Brien") == "Conor O'Brien"


def test_person_name_with_emoji_is_refused() -> None:
    error = raises_code("person_name.bad_characters", validate_person_name, "张三😀")
    assert error.params == {"chars": "😀"}


def test_person_name_starting_with_a_dot_is_refused() -> None:
    raises_code("person_name.misplaced_dot", validate_person_name, "·艾力")


def test_bank_name_is_accepted() -> None:
    assert validate_bank_name("中国工商银行 北京分行") == "中国工商银行 北京分行"


def test_address_and_products_are_collapsed() -> None:
    assert validate_address("北京市朝阳区\n建国路 1 号") == "北京市朝阳区 建国路 1 号"
    assert validate_products("奶茶、咖啡") == "奶茶、咖啡"


def test_address_may_contain_symbols_like_degree_sign() -> None:
    assert validate_address("冷库 -18℃ 仓储区 3 号") == "冷库 -18℃ 仓储区 3 号"


def test_business_categories_are_stable_keys() -> None:
    assert BUSINESS_CATEGORIES == (
        "retail",
        "catering",
        "services",
        "wholesale",
        "education",
        "health",
        "entertainment",
        "other",
    )
    assert validate_business_category("catering") is BusinessCategory.CATERING


# --------------------------------------------------------------------------- USCC


@pytest.mark.parametrize("code", USCC_EXAMPLES)
def test_published_uscc_examples_are_valid(code: str) -> None:
    assert validate_uscc(code) == code


def test_uscc_in_lowercase_with_spaces_and_dashes_is_normalised() -> None:
    assert validate_uscc(" 9135-0100 m000 100y43 ") == "91350100M000100Y43"


def test_uscc_typed_in_full_width_characters_is_normalised() -> None:
    assert validate_uscc("９１１１０１０８７１７７４３４６９Ｋ") == "91110108717743469K"


def test_uscc_with_wrong_check_character_is_rejected_as_checksum() -> None:
    raises_code("uscc.checksum", validate_uscc, "91110108717743469L")


def test_uscc_with_one_changed_digit_is_rejected_as_checksum() -> None:
    raises_code("uscc.checksum", validate_uscc, "91110108717743468K")


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_uscc_with_letter_outside_the_alphabet_is_rejected_as_format(letter: str) -> None:
    error = raises_code("uscc.format", validate_uscc, "91350100M000100" + letter + "43")
    assert error.params == {"chars": letter}


def test_uscc_of_wrong_length_reports_the_length() -> None:
    error = raises_code("uscc.length", validate_uscc, "91350100M000100Y433")
    assert error.params == {"length": 19, "expected": 18}


# --------------------------------------------------------------------------- resident ID


def test_published_resident_id_is_valid_with_birth_date_gender_and_region() -> None:
    rid = validate_resident_id(RIC_FEMALE_1949, today=TODAY)
    assert rid.number == RIC_FEMALE_1949
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.gender is Gender.FEMALE
    assert rid.region_code == "110105"
    assert rid.region_known


def test_resident_id_from_abolished_county_is_accepted_when_checksum_is_right() -> None:
    rid = validate_resident_id(RIC_MALE_2000_ABOLISHED_COUNTY, today=TODAY)
    assert rid.birth_date == date(2000, 1, 1)
    assert rid.gender is Gender.MALE
    assert rid.region_code == "440524"
    assert not rid.region_known


def test_resident_id_with_lowercase_x_and_spaces_is_normalised() -> None:
    rid = validate_resident_id(" 110105 19491231 002x ", today=TODAY)
    assert rid.number == RIC_FEMALE_1949


def test_resident_id_with_changed_digit_is_rejected_as_checksum() -> None:
    raises_code("ric.checksum", ric_today, "11010519491231003X")


def test_resident_id_with_impossible_date_reports_birth_date_not_checksum() -> None:
    raises_code("ric.birth_date", ric_today, "11010519490230002X")


def test_impossible_date_with_correct_check_character_is_rejected_as_birth_date() -> None:
    raises_code("ric.birth_date", ric_today, make_ric("11010519491332002"))


def test_resident_id_with_letter_check_character_other_than_x_is_format() -> None:
    error = raises_code("ric.format", ric_today, "11010519491231002Y")
    assert error.params == {"chars": "Y"}


def test_old_15_digit_resident_id_is_rejected_as_length() -> None:
    error = raises_code("ric.length", ric_today, "110105491231002")
    assert error.params == {"length": 15, "expected": 18}


def test_resident_id_with_unknown_province_is_rejected_as_region() -> None:
    raises_code("ric.region", ric_today, make_ric("72010519800101001"))


def test_foreigner_permanent_residence_id_is_accepted() -> None:
    rid = validate_resident_id(make_ric("93115619800101001"), today=TODAY)
    assert not rid.region_known


def test_minor_legal_representative_is_refused() -> None:
    error = raises_code("ric.minor", ric_today, make_ric("11010520070602001"))
    assert error.params == {"age": 17, "min_age": 18}


def test_legal_representative_turning_18_today_is_accepted() -> None:
    rid = validate_resident_id(make_ric("11010520070601001"), today=TODAY)
    assert rid.birth_date == date(2007, 6, 1)


def test_a_birth_year_no_one_alive_has_is_refused_even_with_a_fitting_check_character() -> None:
    # 1880 typed for 1980: the check character happens to fit, the person cannot exist.
    error = raises_code("ric.too_old", ric_today, "440524188001010014")
    assert error.params == {"age": 145, "year": 1880, "max_age": 120}
    assert validate_resident_id(make_ric("11010519050601001"), today=TODAY).birth_date.year == 1905


def test_birth_date_in_the_future_is_refused() -> None:
    raises_code("ric.future", ric_today, make_ric("11010520250602001"))


# --------------------------------------------------------------------------- accounts


def test_published_card_number_is_valid() -> None:
    assert validate_account_number(CARD, AccountKind.PERSONAL_CARD) == CARD


def test_card_number_with_spaces_and_dashes_is_normalised() -> None:
    assert validate_account_number("4111 1111-1111 1111", "personal_card") == CARD


def test_card_number_with_changed_digit_fails_luhn() -> None:
    raises_code("account.luhn", validate_account_number, "4111111111111121", "personal_card")


def test_card_number_length_error_reports_limits() -> None:
    error = raises_code(
        "account.personal_length", validate_account_number, "41111111111111111111", "personal_card"
    )
    assert error.params == {"length": 20, "min": 16, "max": 19}


def test_account_number_with_letters_names_them() -> None:
    error = raises_code("account.not_digits", validate_account_number, "1234O5678", "corporate")
    assert error.params == {"chars": "O"}


def test_empty_account_number_is_not_digits() -> None:
    raises_code("account.not_digits", validate_account_number, " - ", "corporate")


def test_corporate_account_needs_no_luhn() -> None:
    assert validate_account_number("1100 1234 5678 9012 34", "corporate") == "110012345678901234"


def test_corporate_account_longer_than_30_digits_is_refused() -> None:
    raises_code("account.corporate_length", validate_account_number, "1" * 31, "corporate")


def test_personal_card_of_individual_business_held_by_legal_rep_is_allowed() -> None:
    holder("张 三", "personal_card", "individual", rep="张三")


def test_personal_card_is_not_allowed_for_an_enterprise() -> None:
    raises_code("account.personal_not_allowed", holder, "张三", "personal_card", "enterprise")


def test_personal_card_held_by_someone_else_is_a_holder_mismatch() -> None:
    error = raises_code("account.holder_mismatch", holder, "李四", "personal_card")
    assert error.params == {"expected_role": "legal_rep"}


def test_corporate_account_must_be_held_by_the_merchant() -> None:
    error = raises_code(
        "account.holder_mismatch", holder, "张三", "corporate", "enterprise", merchant="某公司"
    )
    assert error.params == {"expected_role": "merchant"}


def test_corporate_holder_matches_across_full_and_half_width_brackets() -> None:
    holder(
        "某某科技(北京)有限公司",
        AccountKind.CORPORATE,
        SubjectType.ENTERPRISE,
        merchant="某某科技（北京）有限公司",
    )


def test_foreign_holder_name_matches_ignoring_case() -> None:
    holder("JOHN SMITH", "personal_card", rep="John Smith")


# --------------------------------------------------------------------------- mobile


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+8613800138000",
        "+86 138 0013 8000",
        "0086 138-0013-8000",
        "(+86) 138-0013-8000",
        "１３８００１３８０００",
    ],
)
def test_mainland_mobile_in_any_common_notation_is_normalised_to_e164(raw: str) -> None:
    assert validate_mobile(raw) == "+8613800138000"


@pytest.mark.parametrize("raw", ["12345", "1380013800", "138001380001", "phone", "", "+86 95588"])
def test_malformed_or_wrong_length_mobile_is_invalid(raw: str) -> None:
    raises_code("phone.invalid", validate_mobile, raw)


def test_mobile_with_extension_is_invalid() -> None:
    raises_code("phone.invalid", validate_mobile, "13800138000 ext 12")


@pytest.mark.parametrize("raw", ["010-65529988", "(010) 6552 9988", "+86 10 6552 9988"])
def test_beijing_landline_is_not_a_mobile(raw: str) -> None:
    raises_code("phone.not_mobile", validate_mobile, raw)


def test_hong_kong_mobile_is_not_mainland() -> None:
    error = raises_code("phone.not_cn", validate_mobile, "+852 9123 4567")
    assert error.params == {"country_code": 852}
