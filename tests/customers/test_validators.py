import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from zhengqi.customers.validators import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_char,
    validate_credit_code,
    validate_phone,
)

# Published, real unified social credit codes (companies' public registration data).
REAL_CODES = ["914403001922038216", "91330100716105852F", "9144030071526726XG", "91110108551385082Q"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_pass(code: str) -> None:
    validate_credit_code(code)


def test_wrong_check_digit_names_the_right_one() -> None:
    with pytest.raises(ValidationError) as err:
        validate_credit_code("914403001922038217")
    assert "校验位错误" in err.value.messages[0]
    assert "应为 6" in err.value.messages[0]


@pytest.mark.parametrize(
    ("code", "fragment"),
    [("9144030019220382", "应为 18 位"), ("91440300192203821I", "不允许的字符"), ("91AB03001922038216", "行政区划")],
)
def test_malformed_credit_codes_are_refused(code: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_credit_code(code)
    assert fragment in err.value.messages[0]


@given(
    st.text(alphabet=CREDIT_CODE_ALPHABET[:10], min_size=6, max_size=6),
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=9, max_size=9),
)
def test_every_code_with_its_check_char_passes_and_any_other_fails(division: str, org: str) -> None:
    body = "91" + division + org
    good = credit_code_check_char(body)
    validate_credit_code(body + good)
    wrong = next(c for c in CREDIT_CODE_ALPHABET if c != good)
    with pytest.raises(ValidationError):
        validate_credit_code(body + wrong)


@pytest.mark.parametrize(
    "phone", ["13812345678", "+86 138 1234 5678", "020-12345678", "0755-1234567", "010-12345678-123"]
)
def test_phones_accepted(phone: str) -> None:
    validate_phone(phone)


@pytest.mark.parametrize("phone", ["12345678901", "1381234567", "abc", "138123456789", "20-1234567"])
def test_non_phones_refused_with_a_message(phone: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_phone(phone)
    assert "不是有效的电话号码" in err.value.messages[0]
