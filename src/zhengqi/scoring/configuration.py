"""Configuration of the month run: rules (with versions and previews) and value-model versions."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import ibis
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.customers.selectors import customers_visible_to
from zhengqi.engine.lake import Lake
from zhengqi.engine.pipeline import read_result
from zhengqi.engine.rules.builtin import BUILTIN_RULES, RuleSpec
from zhengqi.engine.rules.language import RuleError, parse
from zhengqi.engine.value.model import DEFAULT_MODEL, ValueModel, score
from zhengqi.engine.value.tiers import TIERS

from .models import MonthRun, Rule, RuleVersion, TaskPolicy, ValueModelVersion

CONFIGURERS = (User.Role.PROVINCIAL_ADMIN, User.Role.MARKETING_PLANNER)


def _may_configure(user: User | None) -> bool:
    return user is None or user.is_superuser or user.role in CONFIGURERS


@transaction.atomic
def ensure_builtin_rules() -> int:
    """Create the built-in rules that are missing (never overwrites an analyst's edit)."""
    existing = set(Rule.objects.values_list("code", flat=True))
    created = 0
    for spec in BUILTIN_RULES:
        if spec.code in existing:
            continue
        rule = Rule.objects.create(
            code=spec.code,
            name=spec.name,
            family=spec.family,
            severity=spec.severity,
            expression=spec.expression,
            description=spec.description,
            builtin=True,
        )
        RuleVersion.objects.create(
            rule=rule, version=1, expression=rule.expression, severity=rule.severity, enabled=True, note=_("内置规则")
        )
        created += 1
    return created


@transaction.atomic
def rule_save(
    *,
    by: User | None,
    code: str,
    name: str,
    family: str,
    severity: str,
    expression: str,
    description: str = "",
    enabled: bool = True,
    note: str = "",
    task_policy: str = TaskPolicy.FAMILY,
) -> Rule:
    """Create a rule or save a new version of it. An invalid expression saves nothing."""
    if not _may_configure(by):
        raise PermissionDenied(_("只有营销策划或省公司管理员可以修改规则。"))
    try:
        parsed = parse(expression)
    except RuleError as err:
        raise ValidationError({"expression": str(err)}) from err
    rule = Rule.objects.select_for_update().filter(code=code).first()
    if rule is None:
        rule = Rule(code=code, owner=by, version=1)
    else:
        rule.version += 1
    rule.name, rule.family, rule.severity = name, family, severity
    rule.expression, rule.description, rule.enabled = parsed.text, description, enabled
    rule.task_policy = task_policy
    rule.full_clean()
    rule.save()
    RuleVersion.objects.create(
        rule=rule,
        version=rule.version,
        expression=rule.expression,
        severity=severity,
        enabled=enabled,
        changed_by=by,
        note=note,
    )
    return rule


def ensure_default_value_model() -> None:
    """Record the built-in value model as the active version when none is (after migrate, and
    before a month run): what the pages only read."""
    if not ValueModelVersion.objects.filter(active=True).exists():
        ValueModelVersion.objects.get_or_create(
            version=DEFAULT_MODEL.version, defaults={"config": DEFAULT_MODEL.to_dict(), "active": True}
        )


def active_value_model() -> ValueModel:
    """The value model in force: the active version, or the built-in one before any is recorded."""
    version = ValueModelVersion.objects.filter(active=True).first()
    return ValueModel.from_dict(version.config) if version is not None else DEFAULT_MODEL


def enabled_rules() -> list[RuleSpec]:
    ensure_builtin_rules()
    return [
        RuleSpec(r.code, r.name, r.family, r.severity, r.expression, r.description)  # type: ignore[arg-type]  # the model's choices are exactly the rule spec's literals
        for r in Rule.objects.filter(enabled=True).order_by("code")
    ]


@dataclass(frozen=True)
class RulePreview:
    month: dt.date | None
    count: int
    sample: list[Customer]
    features: list[str]


def rule_preview(*, user: User, expression: str, sample_size: int = 20) -> RulePreview:
    """How many of the customers the user may see the rule hits in the latest month run, and which.
    Raises ValidationError (with the rule language's message) for an invalid rule."""
    try:
        rule = parse(expression)
    except RuleError as err:
        raise ValidationError({"expression": str(err)}) from err
    month, hit_codes, scores = _hits(rule)
    if month is None:
        return RulePreview(None, 0, [], rule.features)
    # Intersect in Python: a rule may hit more customers than a database accepts as query parameters.
    visible = set(customers_visible_to(user).values_list("code", flat=True)) & hit_codes
    ordered = sorted(visible, key=lambda code: (-(scores.get(code) or 0), code))[:sample_size]
    by_code = customers_visible_to(user).in_bulk(ordered, field_name="code")
    return RulePreview(month, len(visible), [by_code[c] for c in ordered], rule.features)


def _hits(rule: Any) -> tuple[dt.date | None, set[str], dict[str, float]]:
    """The month of the latest successful month run, the codes of the customers the rule hits in
    it (all customers, whoever asks) and every customer's value score."""
    run = MonthRun.objects.filter(status=MonthRun.Status.SUCCEEDED).order_by("-month").first()
    lake = Lake(settings.ZHENGQI_LAKE)
    if run is None or read_result(lake, run.month, "features") is None:
        return None, set(), {}
    value = read_result(lake, run.month, "value")
    assert value is not None
    scores = dict(zip(value["customer_code"].to_pylist(), value["value_score"].to_pylist(), strict=True))
    return run.month, month_hits(rule, run.month, lake), scores


def month_hits(rule: Any, month: dt.date, lake: Lake) -> set[str]:
    """The codes of the customers a parsed rule-language condition selects in a month run's results
    (its features beside its value scores and tiers); none when the month has no results."""
    features = read_result(lake, month, "features")
    value = read_result(lake, month, "value")
    if features is None or value is None:
        return set()
    table = ibis.memtable(features)
    scored = ibis.memtable(value.select(["customer_code", "value_score", "tier", "tier_prev", "potential_score"]))
    wide = table.left_join(scored, "customer_code").drop("customer_code_right")
    return set(wide.filter(rule.compile(wide)).select("customer_code").to_pyarrow()["customer_code"].to_pylist())


def segment_hits(expression: str) -> tuple[dt.date | None, set[str]]:
    """The customers (codes) a rule-language expression selects in the latest month run — a
    campaign's segment. Raises RuleError for an expression that does not parse."""
    month, codes, _scores = _hits(parse(expression))
    return month, codes


def with_optional_factors(model: ValueModel) -> ValueModel:
    """The model with the default model's factors it lacks added at weight 0 (the satisfaction
    factor, for a model saved before surveys were recorded), so the page offers them."""
    have = {f.code for f in model.factors}
    extra = tuple(replace(f, weight=0.0) for f in DEFAULT_MODEL.factors if f.code not in have)
    return replace(model, factors=model.factors + extra) if extra else model


def value_model_from_form(base: ValueModel, data: Any) -> ValueModel:
    """A new model from the page's fields (weights in %, thresholds, overrides) on top of ``base``.
    Unparseable numbers raise ValidationError with the field named."""

    def number(key: str, label: str, default: float) -> float:
        raw = str(data.get(key, default)).strip()
        try:
            return float(raw)
        except ValueError as err:
            raise ValidationError(
                {key: _("“%(label)s”应为数字，而不是“%(raw)s”。") % {"label": label, "raw": raw}}
            ) from err

    config = base.to_dict()
    for factor in config["factors"]:
        factor["weight"] = round(number(f"weight_{factor['code']}", factor["label"], factor["weight"] * 100) / 100, 6)
    for tier in TIERS[:-1]:
        config["thresholds"][tier] = number(
            f"threshold_{tier}", _("%(tier)s 级阈值") % {"tier": tier}, config["thresholds"][tier]
        )
    config["overrides"]["major_government"] = bool(data.get("major_government"))
    config["overrides"]["star_min_yoy"] = number(
        "star_min_yoy", _("明星企业同比增长下限"), config["overrides"]["star_min_yoy"]
    )
    config["potential_flag"] = number("potential_flag", _("潜力标记阈值"), config["potential_flag"])
    config["version"] = str(data.get("version") or base.version).strip()
    return ValueModel.from_dict(config)


def value_model_preview(model: ValueModel) -> dict[str, Any]:
    """Tier counts the model would give on the latest month run's features, next to today's."""
    problems = model.validate()
    if problems:
        raise ValidationError(problems)
    run = MonthRun.objects.filter(status=MonthRun.Status.SUCCEEDED).order_by("-month").first()
    lake = Lake(settings.ZHENGQI_LAKE)
    features = read_result(lake, run.month, "features") if run else None
    current = read_result(lake, run.month, "value") if run else None
    if run is None or features is None or current is None:
        return {"month": None, "tiers": []}
    scored = score(ibis.memtable(features), model).to_pyarrow()
    new_counts = Counter(t for t in scored["tier"].to_pylist() if t)
    old_counts = Counter(t for t in current["tier"].to_pylist() if t)
    total = sum(new_counts.values()) or 1
    tiers = [
        {
            "tier": t,
            "count": new_counts[t],
            "share": new_counts[t] / total,
            "current": old_counts[t],
            "change": new_counts[t] - old_counts[t],
        }
        for t in TIERS
    ]
    return {"month": run.month, "tiers": tiers}


@transaction.atomic
def value_model_save(*, by: User | None, model: ValueModel) -> ValueModelVersion:
    """Save the model as a new version and make it the one the month run uses."""
    if not _may_configure(by):
        raise PermissionDenied(_("只有营销策划或省公司管理员可以修改价值模型。"))
    problems = model.validate()
    if problems:
        raise ValidationError(problems)
    if ValueModelVersion.objects.filter(version=model.version).exists():
        raise ValidationError({"version": _("版本号“%(v)s”已存在，请换一个。") % {"v": model.version}})
    ValueModelVersion.objects.filter(active=True).update(active=False)
    return ValueModelVersion.objects.create(version=model.version, config=model.to_dict(), active=True, created_by=by)
