"""Numbers as people type them: every amount and share a form takes is read by one function
(``web.forms.parse_amount`` / ``parse_rate``), so that what one page accepts every page accepts —
full-width digits from a Chinese input method, thousands separators, ¥ and 元, 万 and 亿, % and ％ —
and anything else is refused in Chinese, never with a traceback or a value outside the bounds."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.competition.tariffs import terminal_add
from zhengqi.marketing.pipeline.services import probabilities_save
from zhengqi.support.assessment import parse_target
from zhengqi.web.forms import INT_MAX, bound_of, parse_amount, parse_ids, parse_int, parse_rate

HIGH = Decimal("1e8")
WIDE = str.maketrans("0123456789.,%", "０１２３４５６７８９．，％")
CJK = re.compile(r"[\u4e00-\u9fff]")


def grouped(amount: Decimal, comma: str) -> str:
    whole, _dot, cents = f"{amount:.2f}".partition(".")
    return f"{int(whole):,}".replace(",", comma) + "." + cents


def renderings(amount: Decimal) -> st.SearchStrategy[str]:
    """The ways a person writes this amount."""
    plain = f"{amount:f}"
    ways = [
        plain,
        grouped(amount, ","),
        grouped(amount, "，"),
        plain.translate(WIDE),
        grouped(amount, ",").translate(WIDE),
        f"¥{plain}",
        f"￥{grouped(amount, ',')}",
        f"{plain}元",
        f"  {plain} 元 ",
        f"{(amount / 10_000).normalize():f}万",
        f"{(amount / 10_000).normalize():f}万元",
        f"{(amount / 100_000_000).normalize():f}亿",
    ]
    return st.sampled_from(ways)


amounts = st.decimals(0, HIGH - Decimal("0.01"), places=2)


@given(data=st.data(), amount=amounts)
def test_an_amount_is_read_however_it_is_written(data: st.DataObject, amount: Decimal) -> None:
    typed = data.draw(renderings(amount))
    assert parse_amount(typed, "x", "金额", high=HIGH) == amount


@given(typed=st.text(max_size=30))
def test_anything_typed_as_an_amount_is_a_bounded_amount_or_a_chinese_refusal(typed: str) -> None:
    try:
        value = parse_amount(typed, "price", "单价", high=HIGH)
    except ValidationError as err:
        (message,) = err.message_dict["price"]
        assert message.startswith("请填写单价") or message.startswith("单价"), message
        assert CJK.search(message)
        return
    assert value is not None
    assert 0 <= value < HIGH
    assert value == value.quantize(Decimal("0.01"))
    assert not value.is_signed()


@given(share=st.decimals(0, 1, places=4), data=st.data())
def test_a_share_is_read_however_it_is_written(share: Decimal, data: st.DataObject) -> None:
    percent = share * 100
    ways = [f"{share:f}", f"{percent:f}%", f"{percent:f}％", f"{percent:f}%".translate(WIDE), f" {percent:f} % "]
    if percent > 1:  # only then is a bare number a percentage
        ways.append(f"{percent:f}")
    typed = data.draw(st.sampled_from(ways))
    assert parse_rate(typed, "x", "比例") == share


@given(typed=st.text(max_size=30))
def test_anything_typed_as_a_share_is_between_0_and_1_or_a_chinese_refusal(typed: str) -> None:
    try:
        value = parse_rate(typed, "rate", "比例")
    except ValidationError as err:
        (message,) = err.message_dict["rate"]
        assert CJK.search(message), message
        return
    assert value is not None and 0 <= value <= 1
    assert not value.is_signed()


def test_a_blank_is_none_unless_required() -> None:
    assert parse_amount("  ", "x", "金额", required=False) is None
    assert parse_rate("", "x", "比例", required=False) is None
    with pytest.raises(ValidationError, match="请填写金额"):
        parse_amount("", "x", "金额")


def test_the_bound_of_a_column_and_its_sentence() -> None:
    from zhengqi.competition.models import TariffPlan, Terminal

    assert bound_of(Terminal._meta.get_field("price")) == Decimal("1e8")
    assert bound_of(TariffPlan._meta.get_field("data_gb")) == Decimal("1e7")
    with pytest.raises(ValidationError, match="单价应在 0 至 1 亿元之间"):
        parse_amount("100000000", "x", "单价", high=Decimal("1e8"))
    with pytest.raises(ValidationError, match="单价应在 0 至 1 亿元之间"):
        parse_amount("99999999.995", "x", "单价", high=Decimal("1e8"))  # rounds up to what the column cannot hold
    with pytest.raises(ValidationError, match="流量应在 0 至 1000 万GB之间"):
        parse_amount("1e7GB", "x", "流量", high=Decimal("1e7"), unit="GB")
    assert parse_amount("20.25GB", "x", "流量", unit="GB", places=Decimal("0.1")) == Decimal("20.3")


@pytest.mark.django_db
def test_the_forms_read_the_same_way(cast: Cast) -> None:
    """A terminal's price, a stage's probability and a support target take what parse_* take."""
    assert terminal_add(by=cast.admin, name="手机甲", kind="phone", price="¥3,999元").price == Decimal("3999")
    assert terminal_add(by=cast.admin, name="手机乙", kind="phone", price="０.３万").price == Decimal("3000")
    saved = probabilities_save(by=cast.admin, values={"proposal": "６０％"})
    assert saved["proposal"] == Decimal("0.600")
    assert parse_target("on_time", "９５％") == Decimal("0.950")
    assert parse_target("hours", "48小时") == Decimal("48.0")
    with pytest.raises(ValidationError) as refused:
        probabilities_save(by=cast.admin, values={"proposal": "六成"})
    assert "不是数字" in str(refused.value)


@given(typed=st.one_of(st.text(max_size=40), st.integers(-(10**30), 10**30).map(str)))
def test_anything_typed_as_a_whole_number_is_one_a_column_holds_or_none(typed: str) -> None:
    n = parse_int(typed)
    assert n is None or 0 <= n <= INT_MAX
    assert parse_ids([typed, "7"]) == ([] if n is None else [n]) + [7]


@given(n=st.integers(0, INT_MAX))
def test_a_whole_number_is_read_in_ascii_or_full_width_digits(n: int) -> None:
    assert parse_int(str(n)) == parse_int(f" {str(n).translate(WIDE)} ") == n
    assert parse_int(str(n), high=n - 1) is None if n else parse_int("0") == 0


@pytest.mark.django_db
@pytest.mark.parametrize("odd", ["²", "①", "9" * 30, "٣", "-1", "1e3"])
def test_pages_taking_ids_refuse_odd_ones_without_an_error_page(cast: Cast, odd: str) -> None:
    """Checkbox ids, a version and a manager's id as a hostile client posts them: the page answers
    (a message, a redirect or a 4xx), never a server error."""
    from django.test import Client

    from zhengqi.marketing.models import Opportunity

    client = Client(raise_request_exception=False)
    client.force_login(cast.admin)
    answers = [
        client.post("/customers/reassign/", {"customer": [odd], "to_manager": odd}),
        client.post("/customers/duplicates/", {"customer": [odd, odd], "action": "dismiss"}),
        client.post("/marketing/tasks/bulk/", {"task": [odd], "action": "done"}),
        client.get(f"/customers/{cast.am.customers.first().pk}/?task={odd}"),
    ]
    opportunity = Opportunity.objects.first()
    if opportunity is not None:
        answers.append(client.post(f"/marketing/opportunities/{opportunity.pk}/", {"version": odd}))
    shown = [(a.request["PATH_INFO"], a.status_code) for a in answers]
    assert all(a.status_code < 500 and a.status_code != 404 for a in answers), shown  # reached, and answered
