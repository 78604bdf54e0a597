"""The monthly operating-analysis report (经营分析报告, seed 000): one structure of sections, tables
and charts with a generated commentary, rendered as a page, an Excel workbook and a PDF.

The figures come from :mod:`zhengqi.insight.figures`, so the report of a user covers only what
the user may see (a city manager gets their city's report).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User
from zhengqi.engine.value.tiers import TIERS, UNTIERED, VIP_TIERS
from zhengqi.support.assessment import assessment
from zhengqi.support.models import SupportTarget

from . import figures
from .figures import Filters, RegionFigures

Format = Literal["text", "wan", "yuan", "pct", "pp", "int", "hours"]


@dataclass
class Chart:
    kind: Literal["bar", "line", "sankey", "radar"]
    categories: Sequence[str]
    series: Sequence[tuple[str, Sequence[float | None]]]
    unit: Literal["pct", "wan", "int", "yuan"]
    reference: tuple[str, float] | None = None  # a horizontal line, e.g. ("时间进度", 0.833)
    stacked: bool = False
    links: list[tuple[str, str, int]] = field(default_factory=list)  # sankey: source, target, value


@dataclass
class Table:
    key: str
    title: str
    columns: Sequence[str]
    formats: Sequence[Format]
    rows: list[list[Any]]
    chart: Chart | None = None
    note: str = ""
    links: Sequence[str | None] = field(default_factory=list)  # per row: the customers behind it
    total_row: bool = False  # the last row adds up the others


@dataclass
class Section:
    title: str
    tables: list[Table] = field(default_factory=list)


@dataclass
class Report:
    month: dt.date
    scope: str
    generated_at: dt.datetime
    time_progress: float
    commentary: list[str]
    sections: list[Section]
    totals: dict[str, RegionFigures]

    @property
    def title(self) -> str:
        return _("%(scope)s政企客户经营分析报告（%(y)d年%(m)d月）") % {
            "scope": self.scope,
            "y": self.month.year,
            "m": self.month.month,
        }

    @property
    def rows(self) -> int:
        """Rows of all its tables (what an export takes out)."""
        return sum(len(t.rows) for s in self.sections for t in s.tables)

    def table(self, key: str) -> Table:
        return next(t for s in self.sections for t in s.tables if t.key == key)


def wan(yuan: float) -> float:
    return round(yuan / 10_000, 2)


def _revenue_table(key: str, title: str, metric: str, rows: list[RegionFigures], total: RegionFigures) -> Table:
    columns = [
        _("区域"),
        _("本年累计（万元）"),
        _("年度目标（万元）"),
        _("完成率"),
        _("时间进度"),
        _("差距（PP）"),
        _("当月（万元）"),
        _("上月（万元）"),
        _("环比"),
        _("上年同期累计（万元）"),
        _("同比"),
    ]
    formats: list[Format] = ["text", "wan", "wan", "pct", "pct", "pp", "wan", "wan", "pct", "wan", "pct"]

    def line(name: str, r: RegionFigures) -> list[Any]:
        target = r.targets.get(metric)
        return [
            name,
            wan(r.money(f"{metric}_ytd")),
            wan(float(target)) if target is not None else None,
            r.completion(metric),
            r.progress,
            r.gap_pp(metric),
            wan(r.money(metric)),
            wan(r.money(f"{metric}_prev")),
            r.mom(metric),
            wan(r.money(f"{metric}_ytd_ly")),
            r.yoy(metric),
        ]

    body = [line(r.region.name, r) for r in rows]
    has_targets = any(r.targets.get(metric) is not None for r in rows)
    chart = Chart(
        "bar",
        [r.region.name for r in rows],
        [(_("完成率"), [r.completion(metric) for r in rows])]
        if has_targets
        else [(_("同比"), [r.yoy(metric) for r in rows])],
        "pct",
        (_("时间进度"), total.progress) if has_targets else None,
    )
    return Table(key, title, columns, formats, [*body, line(_("合计"), total)], chart, total_row=True)


def _idle_table(rows: list[RegionFigures], total: RegionFigures) -> Table:
    columns = [
        _("区域"),
        _("在网成员"),
        _("“三无”成员"),
        _("“三无”占比"),
        _("上月“三无”成员"),
        _("已清理"),
        _("清理率"),
    ]
    formats: list[Format] = ["text", "int", "int", "pct", "int", "int", "pct"]

    def line(name: str, r: RegionFigures) -> list[Any]:
        s = r.sums
        return [
            name,
            int(s.get("members_active") or 0),
            int(s.get("members_idle") or 0),
            r.idle_share,
            int(s.get("members_idle_prev") or 0),
            int(s.get("idle_cleaned") or 0),
            r.clean_up_rate,
        ]

    chart = Chart(
        "bar",
        [r.region.name for r in rows],
        [(_("“三无”占比"), [r.idle_share for r in rows]), (_("清理率"), [r.clean_up_rate for r in rows])],
        "pct",
    )
    note = _(
        "“三无”成员：一个自然月内无主叫、无短信、无 V 网内被叫的成员。"
        "清理率 = 上月“三无”成员中本月已不在集团使用的比例。"
    )
    return Table(
        "idle",
        _("“三无”成员及清理情况"),
        columns,
        formats,
        [*(line(r.region.name, r) for r in rows), line(_("合计"), total)],
        chart,
        note,
        total_row=True,
    )


def _idle_trend(user: User, f: Filters) -> Table:
    months = sorted(m for m in figures.months_available() if m <= f.month)[-12:]
    rows: list[list[Any]] = []
    for m in months:
        t = figures.totals(figures.snapshots(user, f, month=m))
        active, idle = int(t["members_active"]), int(t["members_idle"])
        before, cleaned = int(t["members_idle_prev"]), int(t["idle_cleaned"])
        rows.append(
            [f"{m:%Y-%m}", active, idle, idle / active if active else None, cleaned / before if before else None]
        )
    chart = Chart(
        "line",
        [r[0] for r in rows],
        [(_("“三无”占比"), [r[3] for r in rows]), (_("清理率"), [r[4] for r in rows])],
        "pct",
    )
    return Table(
        "idle_trend",
        _("“三无”成员占比逐月变化"),
        [_("月份"), _("在网成员"), _("“三无”成员"), _("“三无”占比"), _("清理率")],
        ["text", "int", "int", "pct", "pct"],
        rows,
        chart,
    )


TIER_ORDER = [*TIERS, UNTIERED]


def _migration_table(user: User, f: Filters) -> tuple[Table, int, int]:
    counts = figures.tier_migration(figures.snapshots(user, f).exclude(tier=""))
    label = {t: t or _("新定级") for t in TIER_ORDER}
    to_tiers = TIER_ORDER[:-1]
    rows, up, down = [], 0, 0
    for src in TIER_ORDER:
        line = [counts.get((src, dst), 0) for dst in to_tiers]
        if not any(line):
            continue
        rows.append([label[src], *line, sum(line)])
        for dst in to_tiers:
            if src and dst != src:
                n = counts.get((src, dst), 0)
                if TIER_ORDER.index(dst) < TIER_ORDER.index(src):
                    up += n
                else:
                    down += n
    chart = Chart(
        "bar",
        [label[t] for t in to_tiers],
        [
            (_("上升"), [_moved(counts, t, True) for t in to_tiers]),
            (_("下降"), [_moved(counts, t, False) for t in to_tiers]),
        ],
        "int",
    )
    table = Table(
        "migration",
        _("价值等级迁移（行：上月等级，列：本月等级）"),
        [_("上月＼本月"), *to_tiers, _("合计")],
        ["text", *(["int"] * (len(to_tiers) + 1))],  # type: ignore[list-item]  # Format literals built by repetition
        rows,
        chart,
        _("对角线为等级不变；对角线右上为降级，左下为升级。图表按上月等级统计升降户数。"),
    )
    return table, up, down


def _moved(counts: dict[tuple[str, str], int], src: str, upward: bool) -> float:
    i = TIER_ORDER.index(src)
    return float(
        sum(
            n
            for (a, b), n in counts.items()
            if a == src and b and (TIER_ORDER.index(b) < i if upward else TIER_ORDER.index(b) > i)
        )
    )


def _movers(user: User, f: Filters, *, limit: int = 10) -> Table:
    qs = (
        figures.snapshots(user, f)
        .annotate(delta=F("revenue") - F("revenue_prev"))
        .select_related("customer__region")
        .exclude(revenue=0, revenue_prev=0)
    )
    picked = [*qs.order_by("-delta")[:limit], *qs.order_by("delta")[:limit]]
    rows = [
        [
            s.customer.name,
            s.customer.region.name,
            s.tier,
            float(s.revenue),
            float(s.revenue_prev),
            float(s.delta),  # type: ignore[attr-defined]  # annotated by the queryset (Django adds the attribute at run time)
            figures.ratio_change(float(s.revenue), float(s.revenue_prev)),
        ]
        for s in picked
        if s.delta  # type: ignore[attr-defined]  # annotated by the queryset (Django adds the attribute at run time)
    ]
    return Table(
        "movers",
        _("收入变动最大的客户（前 %(n)d 名增长与前 %(n)d 名下降）") % {"n": limit},
        [_("客户"), _("区域"), _("等级"), _("当月收入（元）"), _("上月收入（元）"), _("变动（元）"), _("环比")],
        ["text", "text", "text", "yuan", "yuan", "yuan", "pct"],
        rows,
    )


def _at_risk(user: User, f: Filters, *, limit: int = 15) -> tuple[Table, int, int]:
    qs = figures.snapshots(user, f).filter(churn_band__in=["high", "medium"])
    high = qs.filter(churn_band="high")
    n_high, n_vip = high.count(), high.filter(tier__in=VIP_TIERS).count()
    top = qs.select_related("customer__region", "customer__account_manager").order_by("-churn_risk")[:limit]
    rows = [
        [
            s.customer.name,
            s.customer.region.name,
            s.tier,
            s.churn_risk,
            _("高") if s.churn_band == "high" else _("中"),
            "；".join(str(r) for r in (s.churn_reasons or [])[:2]),
            (s.customer.account_manager.display_name or s.customer.account_manager.username)
            if s.customer.account_manager
            else "",
        ]
        for s in top
    ]
    table = Table(
        "at_risk",
        _("流失风险最高的客户"),
        [_("客户"), _("区域"), _("等级"), _("流失风险"), _("风险等级"), _("主要原因"), _("客户经理")],
        ["text", "text", "text", "pct", "text", "text", "text"],
        rows,
    )
    return table, n_high, n_vip


def _support_table(user: User, f: Filters) -> Table | None:
    """The support departments' assessment of the month (支撑体系考核), ranked; None without departments."""
    rows = assessment(user=user, month=f.month)
    if not rows:
        return None
    target = next((r.targets.get(SupportTarget.Metric.ON_TIME) for r in rows if r.targets), None)
    return Table(
        key="support",
        title=_("支撑部门考核排名"),
        columns=[
            _("排名"),
            _("部门"),
            _("办结"),
            _("按时办结率"),
            _("平均处理时长（小时）"),
            _("重办率"),
            _("回访满意率"),
            _("超时升级"),
            _("转出"),
            _("达标指标"),
        ],
        formats=["int", "text", "int", "pct", "hours", "pct", "pct", "int", "int", "text"],
        rows=[
            [
                r.rank,
                r.department.name,
                r.resolved,
                r.on_time_rate,
                r.hours,
                r.reopen_rate,
                r.satisfaction,
                r.escalations,
                r.transfers_out,
                f"{r.targets_met}/{r.targets_set}" if r.targets_set else "—",
            ]
            for r in rows
        ],
        chart=Chart(
            kind="bar",
            categories=[r.department.name for r in rows],
            series=[(_("按时办结率"), [r.on_time_rate for r in rows])],
            unit="pct",
            reference=(_("目标"), float(target)) if target is not None else None,
        ),
        note=_("按首次办结的月份计入办结时持有请求的部门；处理时长只计部门自己持有的时间，转派不重置处理时限。"),
    )


def build(user: User, f: Filters) -> Report:
    """The report of ``f.month`` for what ``user`` may see (``f.region`` narrows it)."""
    total, below = figures.by_region(user, f, depth=2)
    children = [g for g in below if g.region.parent_id == total.region.pk]
    districts = [g for g in below if g.region.parent_id != total.region.pk]
    scope = total.region.name if user.role != User.Role.ACCOUNT_MANAGER else _("我的客户")

    info = Section(
        _("一、信息化收入完成情况"),
        [_revenue_table("info", _("各区域信息化收入完成情况"), "revenue_info", children, total)],
    )
    line = Section(
        _("二、专线收入完成情况"),
        [_revenue_table("line", _("各区域专线收入完成情况"), "revenue_line", children, total)],
    )
    if districts:
        info.tables.append(
            _revenue_table("info_districts", _("各区县信息化收入完成情况"), "revenue_info", districts, total)
        )
        line.tables.append(
            _revenue_table("line_districts", _("各区县专线收入完成情况"), "revenue_line", districts, total)
        )
    idle = Section(_("三、“三无”成员清理"), [_idle_table(children, total), _idle_trend(user, f)])
    migration, up, down = _migration_table(user, f)
    risk, n_high, n_vip = _at_risk(user, f)
    customers = Section(_("四、价值等级迁移与重点客户"), [migration, _movers(user, f), risk])
    sections = [info, line, idle, customers]
    if (support := _support_table(user, f)) is not None:
        sections.append(Section(_("五、支撑部门考核"), [support]))
    report = Report(
        month=f.month,
        scope=scope,
        generated_at=timezone.now(),
        time_progress=figures.time_progress(f.month),
        commentary=[],
        sections=sections,
        totals={"total": total},
    )
    report.commentary = commentary(f.month, total, children, up=up, down=down, high_risk=n_high, high_risk_vip=n_vip)
    return report


def pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x * 100:.{digits}f}%"


def _trend(x: float, up: str, down: str) -> str:
    return up if x >= 0 else down


def commentary(
    month: dt.date,
    total: RegionFigures,
    children: list[RegionFigures],
    *,
    up: int,
    down: int,
    high_risk: int,
    high_risk_vip: int,
) -> list[str]:
    """A few plain sentences with the main facts: where the whole stands, who leads, who lags."""
    out = []
    for metric, name in (("revenue_info", _("信息化收入")), ("revenue_line", _("专线收入"))):
        ytd = wan(total.money(f"{metric}_ytd"))
        text = _("截至%(m)d月底累计完成%(name)s %(ytd).1f 万元") % {"m": month.month, "name": name, "ytd": ytd}
        done = total.completion(metric)
        if done is not None:
            gap = total.gap_pp(metric) or 0.0
            text += _("，完成年度目标的 %(done)s（时间进度 %(tp)s），%(dir)s时间进度 %(gap).1f 个百分点") % {
                "done": pct(done),
                "tp": pct(total.progress),
                "dir": _trend(gap, _("领先"), _("落后")),
                "gap": abs(gap),
            }
        yoy = total.yoy(metric)
        if yoy is not None:
            text += _("；同比%(dir)s %(v)s") % {"dir": _trend(yoy, _("增长"), _("下降")), "v": pct(abs(yoy))}
        mom = total.mom(metric)
        if mom is not None:
            text += _("。当月 %(now).1f 万元，较上月%(dir)s %(v)s") % {
                "now": wan(total.money(metric)),
                "dir": _trend(mom, _("增长"), _("下降")),
                "v": pct(abs(mom)),
            }
        out.append(text + "。")
        ranked = [c for c in children if c.completion(metric) is not None]
        if len(ranked) >= 2:
            ranked.sort(key=lambda c: c.completion(metric) or 0.0, reverse=True)
            best, worst = ranked[0], ranked[-1]
            behind = [c.region.name for c in ranked if (c.gap_pp(metric) or 0) < 0]
            sentence = _(
                "%(name)s完成率最高的是%(best)s（%(b)s），"
                "最低的是%(worst)s（%(w)s，%(dir)s时间进度 %(gap).1f 个百分点）"
            ) % {
                "name": name,
                "best": best.region.name,
                "b": pct(best.completion(metric)),
                "worst": worst.region.name,
                "w": pct(worst.completion(metric)),
                "dir": _trend(worst.gap_pp(metric) or 0, _("领先"), _("落后")),
                "gap": abs(worst.gap_pp(metric) or 0),
            }
            if behind:
                sentence += _("；落后时间进度的有 %(n)d 个：%(list)s") % {"n": len(behind), "list": "、".join(behind)}
            out.append(sentence + "。")
    if total.idle_share is not None:
        text = _("“三无”成员 %(n)d 人，占在网成员的 %(s)s") % {
            "n": int(total.sums.get("members_idle") or 0),
            "s": pct(total.idle_share),
        }
        if total.clean_up_rate is not None:
            text += _("；上月“三无”成员本月已清理 %(c)d 人，清理率 %(r)s") % {
                "c": int(total.sums.get("idle_cleaned") or 0),
                "r": pct(total.clean_up_rate),
            }
        worst_idle = max(
            (c for c in children if c.idle_share is not None), key=lambda c: c.idle_share or 0, default=None
        )
        if worst_idle is not None and len(children) > 1:
            text += _("；占比最高的是%(r)s（%(s)s），请督促清理无效成员") % {
                "r": worst_idle.region.name,
                "s": pct(worst_idle.idle_share),
            }
        out.append(text + "。")
    out.append(_("本月价值等级上升 %(up)d 户、下降 %(down)d 户。") % {"up": up, "down": down})
    out.append(
        _("流失风险高的客户 %(n)d 户，其中 A+/A 级 %(v)d 户，名单见第四部分。") % {"n": high_risk, "v": high_risk_vip}
    )
    return out
