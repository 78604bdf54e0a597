"""Pages of the month run: rules (list, edit with validation and preview) and run records."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.engine.catalogue import RULE_CATALOGUE
from zhengqi.engine.lake import Lake

from .churn_registry import capacity_view, churn_model_activate, churn_model_card, churn_models, may_activate
from .configuration import (
    CONFIGURERS,
    active_value_model,
    rule_preview,
    rule_save,
    value_model_from_form,
    value_model_preview,
    value_model_save,
    with_optional_factors,
)
from .forms import MonthForm, RuleForm
from .month_run import month_run_enqueue
from .selectors import month_runs, rule_by_code, rules_all, value_model_versions

# Who may open these pages is the role matrix's (zhengqi.accounts.matrix, applied by its middleware);
# what each may change is the services' (rule_save, value_model_save, churn_model_activate).


@login_required
def rule_list_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    rules = rules_all()
    return render(
        request, "scoring/rules.html", {"rules": rules, "may_edit": user.is_superuser or user.role in CONFIGURERS}
    )


@login_required
def rule_edit_page(request: AuthedRequest, code: str | None = None) -> HttpResponse:
    user = request.user
    rule = rule_by_code(code)
    if code and rule is None:
        raise Http404(_("规则不存在。"))
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if rule is not None:
                data["code"] = rule.code  # the code of an existing rule does not change
            try:
                saved = rule_save(by=user, **data)
            except PermissionDenied:
                raise
            except ValidationError as err:
                for field, errors in err.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("规则 %(code)s 已保存为第 %(version)s 版。") % {"code": saved.code, "version": saved.version},
                )
                return redirect("scoring:rule", code=saved.code)
    else:
        initial = {"enabled": True, "severity": "medium"}
        if rule is not None:
            initial = {
                f: getattr(rule, f)
                for f in ("code", "name", "family", "severity", "task_policy", "expression", "description", "enabled")
            }
        form = RuleForm(initial=initial)
    return render(
        request,
        "scoring/rule_edit.html",
        {
            "form": form,
            "rule": rule,
            "versions": rule.versions.all() if rule else [],
            "may_edit": user.is_superuser or user.role in CONFIGURERS,
            "catalogue": sorted(RULE_CATALOGUE.values(), key=lambda f: f.name),
        },
    )


@login_required
def rule_preview_fragment(request: AuthedRequest) -> HttpResponse:
    user = request.user
    expression = request.POST.get("expression", "")
    try:
        preview = rule_preview(user=user, expression=expression)
    except ValidationError as err:
        return render(
            request, "scoring/_preview.html", {"error": " ".join(err.message_dict.get("expression", err.messages))}
        )
    return render(request, "scoring/_preview.html", {"preview": preview})


@login_required
def month_run_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    may_run = user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN
    form = MonthForm(request.POST or None)
    if request.method == "POST":
        if not may_run:
            raise PermissionDenied
        if form.is_valid():
            month = form.cleaned_data["month"]
            if month.strftime("%Y-%m") not in Lake(settings.ZHENGQI_LAKE).months("customer_month"):
                form.add_error("month", _("数据湖中缺少该月的数据，请先导入。"))
            else:
                record = month_run_enqueue(month=month, by=user)
                messages.success(
                    request, _("%(month)s 月度运行已开始，进度见下表。") % {"month": f"{record.month:%Y-%m}"}
                )
                return redirect("scoring:runs")
    runs = month_runs(50)
    template = "scoring/_runs_table.html" if request.headers.get("HX-Request") else "scoring/runs.html"
    return render(
        request,
        template,
        {
            "runs": runs,
            "form": form,
            "may_run": may_run,
            "active": any(r.status in ("queued", "running") for r in runs),
        },
    )


@login_required
def value_model_page(request: AuthedRequest) -> HttpResponse:
    """The analyst's page: weights, thresholds and overrides; preview tier counts; save a version."""
    user = request.user
    may_edit = user.is_superuser or user.role in CONFIGURERS
    base = with_optional_factors(active_value_model())
    model, errors, preview = base, [], None
    if request.method == "POST":
        try:
            model = value_model_from_form(base, request.POST)
            if request.POST.get("action") == "save":
                if not may_edit:
                    raise PermissionDenied
                saved = value_model_save(by=user, model=model)
                messages.success(request, _("价值模型已保存为版本 %(v)s，下次月度运行起生效。") % {"v": saved.version})
                return redirect("scoring:value_model")
            preview = value_model_preview(model)
        except ValidationError as err:
            errors = err.messages
        if request.headers.get("HX-Request"):
            return render(request, "scoring/_value_preview.html", {"preview": preview, "errors": errors})
    context = {
        "model": model,
        "may_edit": may_edit,
        "errors": errors,
        "preview": preview,
        "weights": [(f, round(f.weight * 100, 4)) for f in model.factors],
        "versions": value_model_versions(20),
    }
    return render(request, "scoring/value_model.html", context)


@login_required
def churn_model_page(request: AuthedRequest) -> HttpResponse:
    """The model card: backtest metrics of both models, calibration, important features; the
    versions in the registry, one of which an admin may activate."""
    user = request.user
    if request.method == "POST":
        version = request.POST.get("version", "")
        try:
            churn_model_activate(by=user, version=version)  # PermissionDenied: 403 for a reader
        except ValidationError as err:
            messages.error(request, "；".join(err.messages))
        else:
            messages.success(request, _("已启用流失模型 %(v)s，下次月度运行起使用。") % {"v": version})
        return redirect("scoring:churn_model")
    try:
        card = churn_model_card(request.GET.get("version") or None)
    except ValidationError as err:
        raise Http404("；".join(err.messages)) from err
    backtest = (card or {}).get("backtest") or {}
    curve = backtest.get("calibration_curve") or []
    capacity = capacity_view(user)
    context = {
        "card": card,
        "backtest": backtest,
        "capacity": capacity,
        "versions": churn_models(),
        "may_activate": may_activate(user),
        "chart": {
            "predicted": [round(p["predicted"], 4) for p in curve],
            "observed": [round(p["observed"], 4) for p in curve],
            "importance_labels": [r["label"] for r in (card or {}).get("importance_rows", [])][::-1],
            "importance_gains": [r["gain"] for r in (card or {}).get("importance_rows", [])][::-1],
            "capacity_curve": [[p["visits"], round(p["expected"], 2)] for p in capacity["curve"]],
            "capacity": capacity["capacity"],
        },
    }
    return render(request, "scoring/churn_model.html", context)
