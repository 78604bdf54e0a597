"""Every refusal of the REST API as ``{"detail": "<one sentence>"}`` in the user's language
(Chinese first): input that does not validate (422, with ``errors`` for programs), an unknown or
forbidden object (404), a missing or invalid login or token (401), CSRF (403).

Pydantic's own messages are English and technical; the common kinds are said here in Chinese and
the field is named by its path ("body.days", "query.page")."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.types import DictStrAny


class Detail(Schema):
    """The body of every refusal: one sentence."""

    detail: str


def _messages() -> dict[str, str]:
    return {
        "missing": _("缺少必填项"),
        "int_parsing": _("应为整数"),
        "int_type": _("应为整数"),
        "int_from_float": _("应为整数"),
        "float_parsing": _("应为数字"),
        "float_type": _("应为数字"),
        "decimal_parsing": _("应为数字"),
        "decimal_type": _("应为数字"),
        "decimal_max_digits": _("数字位数太多"),
        "decimal_max_places": _("小数位数太多"),
        "finite_number": _("应为有限的数字"),
        "bool_parsing": _("应为 true 或 false"),
        "bool_type": _("应为 true 或 false"),
        "string_type": _("应为文本"),
        "string_too_long": _("太长（最多 {max_length} 个字符）"),
        "string_too_short": _("太短（至少 {min_length} 个字符）"),
        "string_pattern_mismatch": _("格式不对"),
        "date_parsing": _("日期格式应为 YYYY-MM-DD"),
        "date_from_datetime_parsing": _("日期格式应为 YYYY-MM-DD"),
        "date_from_datetime_inexact": _("日期格式应为 YYYY-MM-DD"),
        "date_type": _("日期格式应为 YYYY-MM-DD"),
        "datetime_parsing": _("时间格式应为 YYYY-MM-DDTHH:MM:SS"),
        "datetime_from_date_parsing": _("时间格式应为 YYYY-MM-DDTHH:MM:SS"),
        "datetime_type": _("时间格式应为 YYYY-MM-DDTHH:MM:SS"),
        "greater_than": _("应大于 {gt}"),
        "greater_than_equal": _("应不小于 {ge}"),
        "less_than": _("应小于 {lt}"),
        "less_than_equal": _("应不大于 {le}"),
        "literal_error": _("应为以下之一：{expected}"),
        "enum": _("应为以下之一：{expected}"),
        "list_type": _("应为列表"),
        "too_long": _("条目太多（最多 {max_length} 个）"),
        "too_short": _("条目太少（至少 {min_length} 个）"),
        "dict_type": _("应为 JSON 对象"),
        "model_type": _("应为 JSON 对象"),
        "model_attributes_type": _("应为 JSON 对象"),
        "json_invalid": _("不是有效的 JSON"),
        "json_type": _("不是有效的 JSON"),
        "uuid_parsing": _("应为 UUID"),
        "extra_forbidden": _("不认识的字段"),
    }


def _field(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] == "body" and parts[1] in ("body", "data", "payload"):
        parts = ["body", *parts[2:]]
    return ".".join(parts)


def error_message(error: dict[str, Any]) -> str:
    """One pydantic error as "field：what is wrong" in the user's language."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    template = _messages().get(kind)
    if template is None:
        text = str(error.get("msg", kind))
        text = text.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    else:
        try:
            text = template.format(**{k: v for k, v in ctx.items()})
        except (KeyError, IndexError, ValueError):
            text = template
    field = _field(error.get("loc") or ())
    return f"{field}：{text}" if field else text


def validation_detail(exc: ValidationError) -> dict[str, Any]:
    errors = [e for e in exc.errors if isinstance(e, dict)]
    sentences = "；".join(error_message(e) for e in errors[:10])
    if len(errors) > 10:
        sentences += _("；另有 %(n)d 处错误") % {"n": len(errors) - 10}
    detail = _("输入有误：%(errors)s。") % {"errors": sentences}
    return {"detail": detail, "errors": [{**e, "message": error_message(e)} for e in errors]}


def not_found_detail(exc: Exception) -> str:
    text = str(exc)
    return text if text and text != "Not Found" and not text.startswith("No ") else _("页面不存在或无权查看。")


def unauthorized_detail(_exc: AuthenticationError) -> str:
    return _("请先登录，或在请求头中带上有效的 API 令牌（Authorization: Bearer zq_…）。令牌可能已过期或被吊销。")


class NulCharacter(ValueError):
    """A request string holds a NUL character, which no database column can store."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where

    def sentence(self) -> str:
        return _("输入有误：%(where)s 含有不允许的空字符（\\u0000）。") % {"where": self.where}


def _find_nul(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _find_nul(key, where) or _find_nul(item, f"{where}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _find_nul(item, f"{where}.{i}")
            if found:
                return found
    return None


class StrictParser(Parser):
    """Ninja's JSON parser, refusing NUL characters (PostgreSQL cannot store them; SQLite would)
    so that both databases answer the same 422 instead of one of them failing with a 500."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data = super().parse_body(request)
        where = _find_nul(data, "body")
        if where:
            raise NulCharacter(where)
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> DictStrAny:
        result = super().parse_querydict(data, list_fields, request)
        where = _find_nul(result, "query")
        if where:
            raise NulCharacter(where)
        return result


def http_error_detail(exc: HttpError) -> str:
    """Ninja's own refusals, said in the user's language; ours are already sentences."""
    if isinstance(exc.__cause__, NulCharacter):
        return exc.__cause__.sentence()
    text = str(exc)
    if text == "CSRF check Failed":
        return _("CSRF 校验失败：页面会话的写操作须带 X-CSRFToken 请求头；脚本请改用 API 令牌。")
    if text.startswith("Cannot parse request body"):
        return _("请求体无法解析：应为 JSON（Content-Type: application/json）或表单。")
    return text
