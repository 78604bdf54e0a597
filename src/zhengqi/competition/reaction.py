"""Quick reaction (快速反应机制, seed 004 “建”): a team for a serious competitor move.

An event at or above the province's threshold (``ReactionPolicy.threshold``, 较大 by default) gets a
team when it is recorded: the account manager of most of its customers, the regional manager over
them and a solution engineer from a delivery or product support department, with a deadline for
the first response (``hours`` after forming) and the province's checklist. A manager forms one by
hand for a lighter event, or changes the members. The first step a member marks done is the team's
first response; when every step is done the team has finished. A team past its deadline with no
response is escalated once to its regional manager (``supervise_teams``, in the scheduler's
supervision job). The competition page reports the response times by month.

Who works a team's steps: its members, and the managers who see the event (a regional manager over
its customers, the provincial admin).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import ancestor_paths, customer_scope, nearest_manager, sees_whole_province
from zhengqi.accounts.models import Region, User
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import notify
from zhengqi.support.models import Department

from .models import DEFAULT_STEPS, SEVERITY_RANK, CompetitorEvent, ReactionPolicy, ReactionStep, ReactionTeam, Severity

ENGINEER_KINDS = (Department.Kind.DELIVERY, Department.Kind.PRODUCT, Department.Kind.NETWORK)


def policy() -> ReactionPolicy:
    """The province's rule (made with the defaults the first time it is asked for)."""
    found = ReactionPolicy.objects.order_by("pk").first()
    if found is None:
        found = ReactionPolicy.objects.create(threshold=Severity.MAJOR, hours=24, steps=list(DEFAULT_STEPS))
    return found


def needs_team(event: CompetitorEvent, rule: ReactionPolicy | None = None) -> bool:
    rule = rule or policy()
    return SEVERITY_RANK[Severity(event.severity)] >= SEVERITY_RANK[Severity(rule.threshold)]


def may_form(user: User) -> bool:
    return matrix.role_of(user) in matrix.MANAGERS


def may_work(user: User, team: ReactionTeam) -> bool:
    """A member of the team, or a manager who sees its event."""
    if user.pk in team.member_ids():
        return True
    if not may_form(user):
        return False
    return sees_whole_province(user) or team.event.customers.filter(customer_scope(user)).exists()


# --- who is proposed ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Members:
    account_manager: User | None
    engineer: User | None
    manager: User | None


def _engineer_for(region: Region | None) -> User | None:
    """A member of a delivery, product or network support department that serves ``region`` (its
    own, else a province-wide one), the one with fewest unfinished teams first."""
    paths = ancestor_paths(region) if region is not None else []
    departments = Department.objects.filter(kind__in=ENGINEER_KINDS).filter(
        Q(region__isnull=True) | Q(region__path__in=paths)
    )
    candidates = list(
        User.objects.filter(is_active=True, departments__in=departments)
        .distinct()
        .annotate(busy=Count("engineering_teams", filter=Q(engineering_teams__finished_at__isnull=True)))
        .order_by("busy", "username")[:1]
    )
    return candidates[0] if candidates else None


def proposal(event: CompetitorEvent, *, by: User | None = None) -> Members:
    """Who would answer ``event``: the account manager of most of its customers (the recorder when
    none has one and the recorder is an account manager), the regional manager over that customer,
    a solution engineer."""
    customers = list(event.customers.select_related("region", "account_manager").order_by("code"))
    counts = Counter(c.account_manager_id for c in customers if c.account_manager_id is not None)
    am: User | None = None
    anchor = customers[0] if customers else None
    if counts:
        top = max(counts.items(), key=lambda kv: (kv[1], -kv[0]))[0]
        anchor = next(c for c in customers if c.account_manager_id == top)
        am = anchor.account_manager
    elif by is not None and by.role == User.Role.ACCOUNT_MANAGER:
        am = by
    region = anchor.region if anchor is not None else None
    return Members(account_manager=am, engineer=_engineer_for(region), manager=nearest_manager(region))


@dataclass(frozen=True)
class Candidates:
    account_managers: list[User]
    engineers: list[User]
    managers: list[User]


def team_candidates(user: User) -> Candidates:
    """Whom a manager may put on a team: account and regional managers of the manager's region,
    the members of the engineering support departments."""
    from zhengqi.accounts.access import regions_visible_to

    active = User.objects.filter(is_active=True).order_by("username")
    in_region = active.filter(region__in=Region.objects.filter(regions_visible_to(user)))
    return Candidates(
        account_managers=list(in_region.filter(role=User.Role.ACCOUNT_MANAGER)),
        engineers=list(active.filter(role=User.Role.DEPARTMENT, departments__kind__in=ENGINEER_KINDS).distinct()),
        managers=list(in_region.filter(role=User.Role.REGIONAL_MANAGER))
        + list(active.filter(role=User.Role.PROVINCIAL_ADMIN, pk=user.pk)),
    )


# --- forming a team and working it ------------------------------------------------------------------


def _check_members(account_manager: User | None, engineer: User | None, manager: User | None) -> None:
    errors: dict[str, str] = {}
    if account_manager is None:
        errors["account_manager"] = _("请指定小组的客户经理。")
    elif not account_manager.is_active or account_manager.role not in (
        User.Role.ACCOUNT_MANAGER,
        User.Role.REGIONAL_MANAGER,
    ):
        errors["account_manager"] = _("%(name)s 不是在职的客户经理。") % {"name": account_manager}
    if engineer is not None and (not engineer.is_active or engineer.role != User.Role.DEPARTMENT):
        errors["engineer"] = _("解决方案工程师应是支撑部门的在职人员。")
    if manager is not None and (
        not manager.is_active or manager.role not in (User.Role.REGIONAL_MANAGER, User.Role.PROVINCIAL_ADMIN)
    ):
        errors["manager"] = _("小组的区域经理应是在职的区域经理或省公司管理员。")
    if errors:
        raise ValidationError(errors)


def _user(pk: int | None, field: str) -> User | None:
    if not pk:
        return None
    found = User.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: _("人员不存在。")})
    return found


@transaction.atomic
def team_form(
    *,
    by: User,
    event: CompetitorEvent,
    account_manager_id: int | None = None,
    engineer_id: int | None = None,
    manager_id: int | None = None,
    now: dt.datetime | None = None,
    automatic: bool = False,
) -> ReactionTeam:
    """Form ``event``'s team (or change its members): unnamed members are the proposal's. The clock
    starts when the team is first formed; changing members keeps it."""
    if not automatic and not may_form(by):
        raise PermissionDenied(_("快速反应小组由区域经理或省公司管理员组建。"))
    now = now or timezone.now()
    proposed = proposal(event, by=by)
    am = _user(account_manager_id, "account_manager") or proposed.account_manager
    engineer = _user(engineer_id, "engineer") or proposed.engineer
    manager = _user(manager_id, "manager") or proposed.manager
    if manager is None and by.role in (User.Role.REGIONAL_MANAGER, User.Role.PROVINCIAL_ADMIN):
        manager = by
    _check_members(am, engineer, manager)
    assert am is not None
    locked = CompetitorEvent.objects.select_for_update().get(pk=event.pk)
    team = ReactionTeam.objects.filter(event=locked).first()
    before = team.member_ids() if team is not None else set()
    if team is None:
        rule = policy()
        team = ReactionTeam.objects.create(
            event=locked,
            account_manager=am,
            engineer=engineer,
            manager=manager,
            formed_at=now,
            formed_by=by,
            due_at=now + dt.timedelta(hours=rule.hours),
        )
        titles = [str(t).strip()[:100] for t in (rule.steps or DEFAULT_STEPS) if str(t).strip()]
        ReactionStep.objects.bulk_create(
            [ReactionStep(team=team, position=i, title=t) for i, t in enumerate(titles or DEFAULT_STEPS, 1)]
        )
    else:
        team.account_manager, team.engineer, team.manager = am, engineer, manager
        team.save(update_fields=["account_manager", "engineer", "manager"])
    newcomers = team.member_ids() - before - {by.pk}
    if newcomers:
        due = timezone.localtime(team.due_at).strftime("%Y-%m-%d %H:%M")
        notify(
            newcomers,
            Kind.REACTION,
            _("快速反应小组：%(operator)s %(summary)s") % {
                "operator": locked.get_operator_display(), "summary": locked.summary
            },
            body=_("您已加入快速反应小组，请在 %(due)s 前首次响应客户。") % {"due": due},
            link=reverse("competition:event", args=[locked.pk]),
            key=f"reaction:{team.pk}",
        )  # fmt: skip
    return team


@transaction.atomic
def step_done(
    *, by: User, team: ReactionTeam, step_id: int, note: str = "", now: dt.datetime | None = None
) -> ReactionStep:
    """Mark one step done (once); the first is the team's first response, the last finishes it."""
    if not may_work(by, team):
        raise PermissionDenied(_("只有小组成员或负责的区域经理可以办理处置步骤。"))
    now = now or timezone.now()
    locked = ReactionTeam.objects.select_for_update().get(pk=team.pk)
    step = ReactionStep.objects.filter(team=locked, pk=step_id).first()
    if step is None:
        raise ValidationError(_("处置步骤不存在。"))
    if step.done_at is not None:
        raise ValidationError(_("“%(step)s”已于 %(at)s 完成。") % {
            "step": step.title, "at": timezone.localtime(step.done_at).strftime("%Y-%m-%d %H:%M")
        })  # fmt: skip
    text = note.strip()
    if len(text) > 200:
        raise ValidationError(_("说明不能超过 200 个字。"))
    step.done_at, step.done_by, step.note = now, by, text
    step.save(update_fields=["done_at", "done_by", "note"])
    fields = []
    if locked.first_response_at is None:
        locked.first_response_at = now
        fields.append("first_response_at")
    if not locked.steps.filter(done_at__isnull=True).exists():
        locked.finished_at = now
        fields.append("finished_at")
    if fields:
        locked.save(update_fields=fields)
    team.first_response_at, team.finished_at = locked.first_response_at, locked.finished_at
    return step


def supervise_teams(now: dt.datetime | None = None) -> int:
    """Escalate, once, each team past its deadline with no first response to its regional manager
    (the provincial admins where it has none). Safe to run twice or at once."""
    now = now or timezone.now()
    late = list(
        ReactionTeam.objects.filter(first_response_at__isnull=True, escalated_at__isnull=True, due_at__lt=now)
        .select_related("event")
        .order_by("pk")
    )
    escalated = 0
    for team in late:
        won = ReactionTeam.objects.filter(pk=team.pk, escalated_at__isnull=True).update(escalated_at=now)
        if not won:
            continue
        escalated += 1
        admins = User.objects.filter(is_active=True, role=User.Role.PROVINCIAL_ADMIN).values_list("pk", flat=True)
        notify(
            [team.manager_id] if team.manager_id else list(admins),
            Kind.ESCALATION,
            _("快速反应超时：%(summary)s") % {"summary": team.event.summary},
            body=_("小组超过首次响应时限仍未响应客户，请督办。"),
            link=reverse("competition:event", args=[team.event_id]),
            key=f"reaction-late:{team.pk}",
        )
    return escalated


def team_of(event: CompetitorEvent) -> ReactionTeam | None:
    """The event's team with its members, or None."""
    return ReactionTeam.objects.filter(event=event).select_related("account_manager", "engineer", "manager").first()


# --- what the pages report --------------------------------------------------------------------------


def teams_visible_to(user: User) -> QuerySet[ReactionTeam]:
    from .services import events_visible_to

    return ReactionTeam.objects.filter(event__in=events_visible_to(user)).select_related(
        "event", "account_manager", "engineer", "manager"
    )


@dataclass
class ResponseTimes:
    months: list[str]
    formed: list[int]  # teams formed per month
    on_time: list[int]  # of those, first response within the deadline
    median_hours: list[float | None]  # median hours to the first response of those that responded
    waiting: list[ReactionTeam]  # teams not yet responded, the most overdue first

    @property
    def on_time_share(self) -> float | None:
        total = sum(self.formed)
        return sum(self.on_time) / total if total else None


def response_times(*, user: User, months: list[str]) -> ResponseTimes:
    """Teams on the user's events formed in ``months`` ("YYYY-MM"): how many, how many answered in
    time, the median hours to answer; and the teams still waiting for a first response."""
    teams = list(teams_visible_to(user).filter(formed_at__date__gte=dt.date.fromisoformat(months[0] + "-01")))
    by_month: dict[str, list[ReactionTeam]] = {m: [] for m in months}
    for t in teams:
        key = timezone.localtime(t.formed_at).strftime("%Y-%m")
        if key in by_month:
            by_month[key].append(t)
    formed, on_time, median = [], [], []
    for m in months:
        rows = by_month[m]
        formed.append(len(rows))
        on_time.append(sum(1 for t in rows if t.first_response_at is not None and t.first_response_at <= t.due_at))
        hours = [h for t in rows if (h := t.response_hours) is not None]
        median.append(round(statistics.median(hours), 1) if hours else None)
    waiting = sorted((t for t in teams_visible_to(user).filter(first_response_at__isnull=True)), key=lambda t: t.due_at)
    return ResponseTimes(months=months, formed=formed, on_time=on_time, median_hours=median, waiting=waiting[:20])
