"""The role matrix: for every page and every API operation, which roles may use it, and whether it
acts on one customer (or one of its records) so that the user's row-level scope applies as well.

One table that the access test (tests/accounts/test_matrix.py) walks, request by request, for
every role — including ids of customers and tasks outside the user's scope, which must answer 404.
A route that is not in the table fails that test: adding a page or an API operation means deciding
here who may use it.

Roles are written short: ``admin`` (provincial admin), ``planner``, ``city`` and ``district``
(regional managers of a city or a district), ``am`` (account manager), ``partner``, ``department``.
Anyone else gets 404, as for a route that does not exist — or 403 with the entry's ``reason`` where
the action is one a user sees offered and should be told why not (reassigning customers, revealing
personal data, activating a model); a visitor who is not logged in is sent to the login page (pages)
or gets 401 (API).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from .models import User

ROLES = ("admin", "planner", "city", "district", "am", "partner", "department")

ALL = frozenset(ROLES)
STAFF = frozenset({"admin", "planner", "city", "district", "am"})  # those who see customers
MANAGERS = frozenset({"admin", "city", "district"})
FIELD = frozenset({"city", "district", "am"})  # who may see customers' people unmasked
WORKERS = frozenset({"admin", "city", "district", "am"})  # who keep tasks and visit records
CONFIG_READERS = frozenset({"admin", "planner", "city", "district"})
CONFIGURERS = frozenset({"admin", "planner"})
ADMIN = frozenset({"admin"})
PUBLIC = frozenset({"*"})


@dataclass(frozen=True)
class Entry:
    allow: frozenset[str]
    method: str = "GET"
    scoped: bool = False  # acts on one customer or task: only within the user's scope
    reason: Promise | None = None  # refused with 403 and this sentence, instead of 404


REASSIGN = gettext_lazy("只有区域经理或省公司管理员可以调整客户经理。")
WORKLOAD = gettext_lazy("只有区域经理和省公司管理员可以查看客户经理工作量。")
MERGE = gettext_lazy("只有省公司管理员可以合并客户。")
REVEAL = gettext_lazy("您的角色无权查看关键人的完整联系方式。")
KEEP = gettext_lazy("只有该客户的客户经理、区域经理或省公司管理员可以维护客户资料。")
APPROVE_CHANGE = gettext_lazy("客户资料变更与集团客户认定由区域经理或省公司管理员审批。")
IMPORT = gettext_lazy("只有省公司管理员可以导入数据。")
PLAN = gettext_lazy("只有营销策划或省公司管理员可以制定营销活动。")
APPLY = gettext_lazy("客户开发申请由客户经理提交。")
DECIDE = gettext_lazy("开发申请由客户所在区域的区域经理审批。")
AM = frozenset({"am"})
SELL = gettext_lazy("只有客户经理和区域经理可以登记和修改商机。")
PARTNER_READERS = STAFF | {"partner"}  # partners and their deals: staff in scope, a partner its own
STATEMENT_READERS = MANAGERS | {"partner"}  # statements: managers over the partner, a partner its own
PARTNERS = gettext_lazy("只有省公司管理员可以维护代理商。")
CLAIM = gettext_lazy("代理商归属由客户经理、区域经理或省公司管理员登记。")
CONFLICT = gettext_lazy("归属争议由客户所在区域的区域经理裁决。")
COMMISSION = gettext_lazy("只有省公司管理员可以设置酬金规则。")
SETTLE = gettext_lazy("只有省公司管理员可以运行月度结算。")
APPROVE = gettext_lazy("结算单由代理商所在区域的区域经理或省公司管理员审批。")
QUEUE_READERS = STAFF | {"department"}  # requests: staff of the customer, a department its queue
ACCEPT = gettext_lazy("服务请求由客户经理、区域经理、省公司管理员或客服受理。")
ACCEPTORS = WORKERS | {"department"}  # a department user only where it is a customer-service desk
RESOLVE = gettext_lazy("只有处理部门的人员可以办结服务请求。")
FOLLOW_UP = gettext_lazy("回访由客户的客户经理或区域经理进行。")
INTEL = gettext_lazy("竞争动向由客户经理或区域经理登记。")
RESPOND = gettext_lazy("应对预案由区域经理、营销策划或省公司管理员启动。")
PLANS = gettext_lazy("应对预案由营销策划或省公司管理员制定。")
LAUNCHERS = frozenset({"admin", "planner", "city", "district"})
TRANSFER = gettext_lazy("只有当前处理部门的人员可以转派服务请求。")
CATALOGUE = gettext_lazy("终端与我方资费目录由营销策划或省公司管理员维护。")
BUNDLE = gettext_lazy("终端资费组合由客户经理或区域经理为客户配置。")
RATE = gettext_lazy("年度评级由区域经理或省公司管理员发起。")
GRADE_DECIDE = gettext_lazy("等级调整由客户经理所在区域的区域经理或省公司管理员审批。")
TRAINING = gettext_lazy("培训与认证由客户经理所在区域的区域经理或省公司管理员登记。")
TIER_SERVICE = gettext_lazy("分层服务标准由省公司管理员设定。")
ASSESSMENT_READERS = CONFIG_READERS | {"department"}
SUPPORT_TARGETS = gettext_lazy("支撑部门的考核目标由省公司管理员设定。")
FOLLOW_REFERRAL = gettext_lazy("推荐由跟进人或所在区域的区域经理处理。")
REWARD_RULES = gettext_lazy("推荐奖励规则由省公司管理员设定。")
KIT = gettext_lazy("营销资料由营销策划或省公司管理员维护。")
TEAM = gettext_lazy("快速反应小组由区域经理或省公司管理员组建。")
REACT = gettext_lazy("只有小组成员或负责的区域经理可以办理处置步骤。")
EVENT_READERS = STAFF | {"department"}  # staff in scope; a solution engineer the events of their teams
REACTORS = WORKERS | {"department"}
CONTACTS = gettext_lazy("只有省公司管理员可以设置营销接触上限。")
BRIEF = gettext_lazy("重要客户信息日报/周报由区域经理和省公司管理员阅读。")
SCHEDULES = gettext_lazy("只有省公司管理员可以查看和调整定时任务。")
TAKE = gettext_lazy("只有客户经理或区域经理可以领取待办。")


PAGES: dict[str, Entry] = {
    "home": Entry(ALL),
    "login": Entry(PUBLIC),
    "logout": Entry(PUBLIC, "POST"),
    "set_language": Entry(PUBLIC, "POST"),
    "audit": Entry(ADMIN),
    "tokens": Entry(ALL),
    "token_revoke": Entry(ALL, "POST", scoped=True),  # one's own token; the admin's, anyone's
    "customers:list": Entry(STAFF),
    "customers:export": Entry(STAFF),
    "customers:to_segment": Entry(STAFF),
    "customers:detail": Entry(STAFF, scoped=True),
    "customers:reassign": Entry(MANAGERS, "POST", scoped=True, reason=REASSIGN),
    "customers:reveal": Entry(FIELD, "POST", scoped=True, reason=REVEAL),
    "customers:bulk_reassign": Entry(MANAGERS, "POST", reason=REASSIGN),
    "customers:portfolio": Entry(MANAGERS, reason=WORKLOAD),
    "customers:duplicates": Entry(ADMIN, reason=MERGE),
    "customers:key_person_new": Entry(WORKERS, scoped=True, reason=KEEP),
    "customers:key_person_edit": Entry(WORKERS, scoped=True, reason=KEEP),
    "customers:key_person_leave": Entry(WORKERS, "POST", scoped=True, reason=KEEP),
    "customers:contract_new": Entry(WORKERS, scoped=True, reason=KEEP),
    "customers:contract_renew": Entry(WORKERS, scoped=True, reason=KEEP),
    "customers:contract_terminate": Entry(WORKERS, "POST", scoped=True, reason=KEEP),
    "customers:contract_file": Entry(STAFF, scoped=True),
    "customers:change_new": Entry(WORKERS, scoped=True, reason=KEEP),
    "customers:mark_lost": Entry(WORKERS, "POST", scoped=True, reason=KEEP),
    "customers:reactivate": Entry(WORKERS, "POST", scoped=True, reason=KEEP),
    "customers:changes": Entry(WORKERS),
    "customers:change": Entry(WORKERS, scoped=True),
    "customers:change_decide": Entry(MANAGERS, "POST", scoped=True, reason=APPROVE_CHANGE),
    "customers:change_withdraw": Entry(WORKERS, "POST", scoped=True),
    "customers:registrations": Entry(WORKERS),
    "customers:registration_new": Entry(WORKERS, reason=KEEP),
    "customers:registration": Entry(WORKERS),
    "customers:registration_decide": Entry(MANAGERS, "POST", reason=APPROVE_CHANGE),
    "customers:registration_evidence": Entry(WORKERS),
    "scoring:rules": Entry(CONFIG_READERS),
    "scoring:rule_new": Entry(CONFIG_READERS),
    "scoring:rule_preview": Entry(STAFF, "POST"),  # a rule's or a saved segment's condition
    "scoring:rule": Entry(CONFIG_READERS),
    "scoring:runs": Entry(CONFIG_READERS),
    "scoring:value_model": Entry(CONFIG_READERS),
    "scoring:churn_model": Entry(CONFIG_READERS),
    "scoring:segments": Entry(STAFF),
    "scoring:segment_new": Entry(STAFF),
    "scoring:segment": Entry(STAFF),
    "scoring:segment_edit": Entry(STAFF),
    "scoring:segment_export": Entry(STAFF),
    "portal:workbench": Entry(STAFF),
    "marketing:tasks": Entry(STAFF),
    "marketing:backlog": Entry(STAFF),
    "marketing:tasks_bulk": Entry(WORKERS, "POST"),
    "marketing:tasks_export": Entry(STAFF),
    "marketing:backlog_export": Entry(STAFF),
    "marketing:backlog_take": Entry(FIELD, "POST", scoped=True, reason=TAKE),
    "marketing:task_close": Entry(WORKERS, "POST", scoped=True),
    "marketing:task_create": Entry(WORKERS, "POST", scoped=True),
    "marketing:interaction_create": Entry(WORKERS, "POST", scoped=True),
    "marketing:interaction_photo": Entry(STAFF, scoped=True),
    "imports:index": Entry(ADMIN, reason=IMPORT),
    "imports:batch": Entry(ADMIN),
    "imports:report": Entry(ADMIN),
    "marketing:campaigns": Entry(STAFF),
    "marketing:campaign_new": Entry(CONFIGURERS, reason=PLAN),
    "marketing:campaign": Entry(STAFF),
    "marketing:campaign_edit": Entry(CONFIGURERS, reason=PLAN),
    "marketing:campaign_action": Entry(CONFIGURERS, "POST", reason=PLAN),
    "marketing:campaign_launch": Entry(CONFIGURERS, reason=PLAN),
    "marketing:campaign_export": Entry(STAFF),
    "marketing:contact_policy": Entry(ADMIN, "POST", reason=CONTACTS),
    "marketing:target_outcome": Entry(WORKERS, "POST", scoped=True),
    "marketing:strategy": Entry(CONFIG_READERS),
    "marketing:tiers": Entry(STAFF),  # each tier's promised vs delivered, for the customers one sees
    "marketing:tier_edit": Entry(ADMIN, "POST", reason=TIER_SERVICE),
    "insight:talent": Entry(WORKERS),  # an account manager sees their own record; managers their region's
    "insight:talent_rate": Entry(MANAGERS, "POST", reason=RATE),
    "insight:talent_decide": Entry(MANAGERS, "POST", reason=GRADE_DECIDE),
    "insight:qualification_fix": Entry(MANAGERS, "POST", scoped=True, reason=REASSIGN),
    "insight:talent_person": Entry(WORKERS),
    "insight:talent_course": Entry(MANAGERS, "POST", reason=TRAINING),
    "insight:talent_certification": Entry(MANAGERS, "POST", reason=TRAINING),
    "competition:tariffs": Entry(STAFF),
    "competition:terminal_new": Entry(CONFIGURERS, "POST", reason=CATALOGUE),
    "competition:tariff_new": Entry(CONFIGURERS, "POST", reason=CATALOGUE),
    "competition:event_tariff": Entry(WORKERS, "POST", reason=INTEL),
    "competition:bundles": Entry(STAFF, scoped=True),
    "competition:bundle_decide": Entry(WORKERS, "POST", scoped=True, reason=BUNDLE),
    "marketing:referrals": Entry(ALL),  # anyone refers a lead (support departments and partners too)
    "marketing:referral_new": Entry(ALL),
    "marketing:referral": Entry(ALL),  # one's own, those routed to one, a manager's region's
    "marketing:referral_progress": Entry(WORKERS, "POST", reason=FOLLOW_REFERRAL),
    "marketing:referral_rewards": Entry(ALL),
    "marketing:referral_rule_new": Entry(ADMIN, "POST", reason=REWARD_RULES),
    "marketing:kit": Entry(STAFF),  # a POST adds a material: the service refuses all but the keepers
    "marketing:material": Entry(STAFF),
    "marketing:material_version_new": Entry(CONFIGURERS, "POST", reason=KIT),
    "marketing:material_file": Entry(STAFF),
    "marketing:opportunities": Entry(STAFF),
    "marketing:prospect_new": Entry(WORKERS, reason=gettext_lazy("只有客户经理和区域经理可以录入潜在客户。")),
    "marketing:application_new": Entry(AM, scoped=True, reason=APPLY),
    "marketing:application": Entry(STAFF),
    "marketing:application_decide": Entry(MANAGERS, "POST", reason=DECIDE),
    "marketing:pipeline": Entry(STAFF),
    "marketing:opportunity_new": Entry(WORKERS, scoped=True, reason=SELL),
    "marketing:opportunity": Entry(STAFF),
    "marketing:project": Entry(WORKERS, "POST", reason=SELL),
    "insight:dashboards": Entry(STAFF),
    "insight:customers": Entry(STAFF),
    "insight:report": Entry(STAFF),
    "insight:dashboard": Entry(STAFF),
    "insight:kpi": Entry(STAFF),
    "insight:brief": Entry(MANAGERS, reason=BRIEF),
    "insight:brief_pdf": Entry(MANAGERS, reason=BRIEF),
    "notifications:list": Entry(ALL),
    "notifications:open": Entry(ALL, "POST"),  # one's own; another's is 404 (tests/notifications)
    "notifications:read_all": Entry(ALL, "POST"),
    "notifications:settings": Entry(ALL),
    "notifications:schedules": Entry(ADMIN, reason=SCHEDULES),
    "notifications:schedule_edit": Entry(ADMIN, "POST", reason=SCHEDULES),
    "notifications:schedule_run": Entry(ADMIN, "POST", reason=SCHEDULES),
    "insight:kpi_export": Entry(STAFF),
    "insight:kpi_manager": Entry(STAFF),
    "partners:partners": Entry(STAFF),
    "partners:partner": Entry(STAFF),
    "partners:partner_new": Entry(ADMIN, reason=PARTNERS),
    "partners:partner_edit": Entry(ADMIN, reason=PARTNERS),
    "partners:attribute": Entry(WORKERS, scoped=True, reason=CLAIM),
    "partners:withdraw": Entry(WORKERS, "POST", reason=CLAIM),
    "partners:conflicts": Entry(MANAGERS, reason=CONFLICT),
    "partners:decide": Entry(MANAGERS, "POST", reason=CONFLICT),
    "partners:rules": Entry(CONFIG_READERS),
    "partners:settlement": Entry(MANAGERS, reason=APPROVE),
    "partners:settle": Entry(ADMIN, "POST", reason=SETTLE),
    "partners:statement": Entry(STATEMENT_READERS),
    "partners:statement_approve": Entry(MANAGERS, "POST", reason=APPROVE),
    "partners:statement_file": Entry(STATEMENT_READERS),
    "partners:mine": Entry(frozenset({"partner"})),
    "support:requests": Entry(QUEUE_READERS),
    "support:request": Entry(QUEUE_READERS),
    "support:request_resolve": Entry(frozenset({"admin", "department"}), "POST", reason=RESOLVE),
    "support:request_close": Entry(WORKERS, "POST", reason=FOLLOW_UP),
    "support:request_reopen": Entry(WORKERS, "POST", reason=FOLLOW_UP),
    "support:request_new": Entry(WORKERS, scoped=True, reason=ACCEPT),
    "support:request_transfer": Entry(frozenset({"admin", "department"}), "POST", reason=TRANSFER),
    "support:assessment": Entry(ASSESSMENT_READERS),
    "support:targets": Entry(ADMIN, "POST", reason=SUPPORT_TARGETS),
    "support:desk_new": Entry(ACCEPTORS, reason=ACCEPT),
    "support:survey_new": Entry(WORKERS, "POST", scoped=True, reason=FOLLOW_UP),
    "competition:activity": Entry(STAFF),
    "competition:event_new": Entry(WORKERS, reason=INTEL),
    "competition:plan_new": Entry(CONFIGURERS, reason=PLANS),
    "competition:event": Entry(EVENT_READERS),
    "competition:event_launch": Entry(LAUNCHERS, "POST", reason=RESPOND),
    "competition:team_form": Entry(MANAGERS, "POST", reason=TEAM),
    "competition:step_done": Entry(REACTORS, "POST", reason=REACT),
}

API: dict[str, Entry] = {
    "GET /api/customers": Entry(STAFF),
    "GET /api/customers/{customer_id}": Entry(STAFF, scoped=True),
    "GET /api/customers/{customer_id}/key-persons": Entry(STAFF, scoped=True),
    "POST /api/customers/{customer_id}/key-persons/reveal": Entry(FIELD, "POST", scoped=True, reason=REVEAL),
    "POST /api/customers/{customer_id}/key-persons": Entry(WORKERS, "POST", scoped=True, reason=KEEP),
    "PATCH /api/customers/{customer_id}/key-persons/{key_person_id}": Entry(WORKERS, "PATCH", scoped=True, reason=KEEP),
    "DELETE /api/customers/{customer_id}/key-persons/{key_person_id}": Entry(
        WORKERS, "DELETE", scoped=True, reason=KEEP
    ),
    "GET /api/contracts": Entry(STAFF),
    "POST /api/contracts": Entry(WORKERS, "POST", reason=KEEP),
    "GET /api/contracts/{contract_id}": Entry(STAFF, scoped=True),
    "POST /api/contracts/{contract_id}/renew": Entry(WORKERS, "POST", scoped=True, reason=KEEP),
    "POST /api/contracts/{contract_id}/terminate": Entry(WORKERS, "POST", scoped=True, reason=KEEP),
    "POST /api/contracts/{contract_id}/file": Entry(WORKERS, "POST", scoped=True, reason=KEEP),
    "GET /api/contracts/{contract_id}/file": Entry(STAFF, scoped=True),
    "POST /api/customers/{customer_id}/lost": Entry(WORKERS, "POST", scoped=True, reason=KEEP),
    "POST /api/customers/{customer_id}/reactivate": Entry(WORKERS, "POST", scoped=True, reason=KEEP),
    "GET /api/change-requests": Entry(WORKERS),
    "POST /api/change-requests": Entry(WORKERS, "POST", reason=KEEP),
    "GET /api/change-requests/{change_id}": Entry(WORKERS, scoped=True),
    "POST /api/change-requests/{change_id}/decision": Entry(MANAGERS, "POST", scoped=True, reason=APPROVE_CHANGE),
    "POST /api/change-requests/{change_id}/withdraw": Entry(WORKERS, "POST", scoped=True),
    "GET /api/registrations": Entry(WORKERS),
    "POST /api/registrations": Entry(WORKERS, "POST", reason=KEEP),
    "GET /api/registrations/{registration_id}": Entry(WORKERS),
    "POST /api/registrations/{registration_id}/decision": Entry(MANAGERS, "POST", reason=APPROVE_CHANGE),
    "GET /api/customers/{customer_id}/history": Entry(STAFF, scoped=True),
    "GET /api/customers/{customer_id}/next-products": Entry(STAFF, scoped=True),
    "POST /api/customers/reassign": Entry(MANAGERS, "POST", reason=REASSIGN),
    "GET /api/customers/managers/workload": Entry(MANAGERS, reason=WORKLOAD),
    "GET /api/workbench": Entry(STAFF),
    "GET /api/customers/duplicates": Entry(ADMIN, reason=MERGE),
    "POST /api/customers/merge": Entry(ADMIN, "POST", reason=MERGE),
    "GET /api/rules": Entry(CONFIG_READERS),
    "POST /api/rules/preview": Entry(CONFIG_READERS, "POST"),
    "GET /api/rules/{code}": Entry(CONFIG_READERS),
    "PUT /api/rules/{code}": Entry(CONFIGURERS, "PUT", reason=gettext_lazy("只有营销策划或省公司管理员可以修改规则。")),
    "GET /api/customers/{customer_id}/alerts": Entry(STAFF, scoped=True),
    "GET /api/customers/{customer_id}/snapshots": Entry(STAFF, scoped=True),
    "GET /api/runs": Entry(CONFIG_READERS),
    "POST /api/runs": Entry(ADMIN, "POST", reason=gettext_lazy("只有省公司管理员可以启动月度运行。")),
    "GET /api/churn/models": Entry(CONFIG_READERS),
    "GET /api/churn/models/{version}": Entry(CONFIG_READERS),
    "GET /api/churn/capacity": Entry(CONFIG_READERS),
    "POST /api/churn/models/{version}/activate": Entry(
        ADMIN, "POST", reason=gettext_lazy("只有省公司管理员可以启用流失模型版本。")
    ),
    "GET /api/customers/{customer_id}/churn": Entry(STAFF, scoped=True),
    "POST /api/imports": Entry(ADMIN, "POST", reason=IMPORT),
    "GET /api/imports": Entry(ADMIN),
    "GET /api/imports/{batch_id}": Entry(ADMIN),
    "GET /api/imports/{batch_id}/report.xlsx": Entry(ADMIN),
    "GET /api/imports/{batch_id}/report.csv": Entry(ADMIN),
    "GET /api/tasks": Entry(STAFF),
    "GET /api/tasks/backlog": Entry(STAFF),
    "GET /api/exports/customers": Entry(STAFF),
    "GET /api/segments": Entry(STAFF),
    "POST /api/segments/preview": Entry(STAFF, "POST"),
    "POST /api/segments": Entry(STAFF, "POST"),
    "GET /api/segments/{segment_id}": Entry(STAFF),
    "PUT /api/segments/{segment_id}": Entry(STAFF, "PUT"),
    "DELETE /api/segments/{segment_id}": Entry(STAFF, "DELETE"),
    "GET /api/segments/{segment_id}/members": Entry(STAFF),
    "GET /api/segments/{segment_id}/trend": Entry(STAFF),
    "GET /api/exports/segments/{segment_id}": Entry(STAFF),
    "POST /api/tasks/bulk": Entry(WORKERS, "POST"),
    "POST /api/tasks/backlog/{alert_id}/take": Entry(FIELD, "POST", scoped=True, reason=TAKE),
    "POST /api/customers/{customer_id}/tasks": Entry(WORKERS, "POST", scoped=True),
    "POST /api/tasks/{task_id}/close": Entry(WORKERS, "POST", scoped=True),
    "POST /api/tasks/escalate": Entry(ADMIN, "POST", reason=gettext_lazy("只有省公司管理员可以手工运行上报。")),
    "GET /api/customers/{customer_id}/interactions": Entry(STAFF, scoped=True),
    "POST /api/customers/{customer_id}/interactions": Entry(WORKERS, "POST", scoped=True),
    "POST /api/interactions/{interaction_id}/photo": Entry(WORKERS, "POST", scoped=True),
    "GET /api/insight/dashboards": Entry(STAFF),
    "GET /api/insight/dashboards/{key}": Entry(STAFF),
    "GET /api/insight/customers": Entry(STAFF),
    "GET /api/insight/report": Entry(STAFF),
    "GET /api/insight/report/file": Entry(STAFF),
    "GET /api/insight/targets": Entry(STAFF),
    "PUT /api/insight/targets": Entry(ADMIN, "PUT", reason=gettext_lazy("只有省公司管理员可以设置收入目标。")),
    "GET /api/insight/kpi": Entry(STAFF),
    "GET /api/insight/kpi/{manager_id}/customers": Entry(STAFF),
    "PUT /api/insight/kpi/targets": Entry(
        MANAGERS, "PUT", reason=gettext_lazy("只有区域经理和省公司管理员可以设定考核目标。")
    ),
    "GET /api/audit": Entry(ADMIN),
    "GET /api/campaigns": Entry(STAFF),
    "POST /api/campaigns": Entry(CONFIGURERS, "POST", reason=PLAN),
    "GET /api/campaigns/{campaign_id}": Entry(STAFF),
    "PUT /api/campaigns/{campaign_id}": Entry(CONFIGURERS, "PUT", reason=PLAN),
    "POST /api/campaigns/{campaign_id}/launch": Entry(CONFIGURERS, "POST", reason=PLAN),
    "GET /api/campaigns/{campaign_id}/launch-preview": Entry(CONFIGURERS, reason=PLAN),
    "GET /api/campaigns/contact-policy": Entry(STAFF),
    "GET /api/exports/campaigns/{campaign_id}": Entry(STAFF),
    "PUT /api/campaigns/contact-policy": Entry(ADMIN, "PUT", reason=CONTACTS),
    "POST /api/campaigns/{campaign_id}/copy": Entry(CONFIGURERS, "POST", reason=PLAN),
    "POST /api/campaigns/{campaign_id}/close": Entry(CONFIGURERS, "POST", reason=PLAN),
    "GET /api/campaigns/{campaign_id}/targets": Entry(STAFF),
    "POST /api/campaigns/{campaign_id}/targets/{customer_id}/outcome": Entry(WORKERS, "POST", scoped=True),
    "GET /api/campaigns/{campaign_id}/evaluation": Entry(CONFIG_READERS),
    "GET /api/strategy": Entry(CONFIG_READERS),
    "GET /api/service-tiers": Entry(STAFF),
    "GET /api/service-tiers/delivery": Entry(STAFF),
    "PUT /api/service-tiers/{tier}": Entry(ADMIN, "PUT", reason=TIER_SERVICE),
    "GET /api/visits-due": Entry(WORKERS),
    "GET /api/customers/{customer_id}/entitlements": Entry(STAFF, scoped=True),
    "GET /api/talent": Entry(WORKERS),
    "POST /api/talent/ratings": Entry(MANAGERS, "POST", reason=RATE),
    "GET /api/talent/{user_id}": Entry(WORKERS),
    "POST /api/talent/{user_id}/courses": Entry(MANAGERS, "POST", reason=TRAINING),
    "POST /api/talent/{user_id}/certifications": Entry(MANAGERS, "POST", reason=TRAINING),
    "POST /api/grade-changes/{grade_change_id}/decide": Entry(MANAGERS, "POST", reason=GRADE_DECIDE),
    "GET /api/qualification-violations": Entry(STAFF),
    "GET /api/terminals": Entry(STAFF),
    "POST /api/terminals": Entry(CONFIGURERS, "POST", reason=CATALOGUE),
    "GET /api/tariffs": Entry(STAFF),
    "POST /api/tariffs": Entry(CONFIGURERS, "POST", reason=CATALOGUE),
    "POST /api/competitor-events/{event_id}/tariffs": Entry(WORKERS, "POST", reason=INTEL),
    "GET /api/customers/{customer_id}/bundles": Entry(STAFF, scoped=True),
    "POST /api/customers/{customer_id}/bundles": Entry(WORKERS, "POST", scoped=True, reason=BUNDLE),
    "POST /api/bundles/{bundle_id}/decision": Entry(WORKERS, "POST", scoped=True, reason=BUNDLE),
    "GET /api/bundle-outcomes": Entry(STAFF),
    "GET /api/referrals": Entry(ALL),
    "POST /api/referrals": Entry(ALL, "POST"),
    "GET /api/referrals/{referral_id}": Entry(ALL),
    "POST /api/referrals/{referral_id}/progress": Entry(WORKERS, "POST", reason=FOLLOW_REFERRAL),
    "GET /api/referral-rewards": Entry(ALL),
    "POST /api/referral-reward-rules": Entry(ADMIN, "POST", reason=REWARD_RULES),
    "GET /api/kit/materials": Entry(STAFF),
    "GET /api/kit/materials/{material_id}": Entry(STAFF),
    "POST /api/kit/materials": Entry(CONFIGURERS, "POST", reason=KIT),
    "POST /api/kit/materials/{material_id}/versions": Entry(CONFIGURERS, "POST", reason=KIT),
    "GET /api/kit/materials/{material_id}/file": Entry(STAFF),
    "GET /api/opportunities": Entry(STAFF),
    "POST /api/opportunities": Entry(WORKERS, "POST", reason=SELL),
    "GET /api/opportunities/{opportunity_id}": Entry(STAFF),
    "PUT /api/opportunities/{opportunity_id}": Entry(WORKERS, "PUT", reason=SELL),
    "POST /api/opportunities/{opportunity_id}/project": Entry(WORKERS, "POST", reason=SELL),
    "PUT /api/opportunities/{opportunity_id}/project": Entry(WORKERS, "PUT", reason=SELL),
    "GET /api/pipeline/forecast": Entry(STAFF),
    "GET /api/pipeline/stages": Entry(STAFF),
    "PUT /api/pipeline/stages": Entry(ADMIN, "PUT", reason=gettext_lazy("只有省公司管理员可以设置阶段赢单概率。")),
    "GET /api/development/candidates": Entry(STAFF),
    "POST /api/development/prospects": Entry(
        WORKERS, "POST", reason=gettext_lazy("只有客户经理和区域经理可以录入潜在客户。")
    ),
    "GET /api/development/applications": Entry(STAFF),
    "POST /api/development/applications": Entry(AM, "POST", reason=APPLY),
    "GET /api/development/applications/{application_id}": Entry(STAFF),
    "POST /api/development/applications/{application_id}/decision": Entry(MANAGERS, "POST", reason=DECIDE),
    "GET /api/partners": Entry(PARTNER_READERS),
    "POST /api/partners": Entry(ADMIN, "POST", reason=PARTNERS),
    "GET /api/partners/{partner_id}": Entry(PARTNER_READERS),
    "PUT /api/partners/{partner_id}": Entry(ADMIN, "PUT", reason=PARTNERS),
    "GET /api/attributions": Entry(PARTNER_READERS),
    "POST /api/attributions": Entry(WORKERS, "POST", reason=CLAIM),
    "GET /api/attributions/{attribution_id}": Entry(PARTNER_READERS),
    "POST /api/attributions/{attribution_id}/withdraw": Entry(WORKERS, "POST", reason=CLAIM),
    "POST /api/attributions/{attribution_id}/decide": Entry(MANAGERS, "POST", reason=CONFLICT),
    "GET /api/commission-rules": Entry(CONFIG_READERS),
    "POST /api/commission-rules": Entry(ADMIN, "POST", reason=COMMISSION),
    "POST /api/settlements": Entry(ADMIN, "POST", reason=SETTLE),
    "GET /api/statements": Entry(STATEMENT_READERS),
    "GET /api/statements/{statement_id}": Entry(STATEMENT_READERS),
    "POST /api/statements/{statement_id}/approve": Entry(MANAGERS, "POST", reason=APPROVE),
    "GET /api/statements/{statement_id}/file": Entry(STATEMENT_READERS),
    "GET /api/service-requests": Entry(QUEUE_READERS),
    "POST /api/service-requests": Entry(ACCEPTORS, "POST", reason=ACCEPT),
    "GET /api/service-requests/{request_id}": Entry(QUEUE_READERS),
    "POST /api/service-requests/{request_id}/resolve": Entry(
        frozenset({"admin", "department"}), "POST", reason=RESOLVE
    ),
    "POST /api/service-requests/{request_id}/close": Entry(WORKERS, "POST", reason=FOLLOW_UP),
    "POST /api/service-requests/{request_id}/reopen": Entry(WORKERS, "POST", reason=FOLLOW_UP),
    "POST /api/service-requests/{request_id}/transfer": Entry(
        frozenset({"admin", "department"}), "POST", reason=TRANSFER
    ),
    "GET /api/support/assessment": Entry(ASSESSMENT_READERS),
    "PUT /api/support/targets": Entry(ADMIN, "PUT", reason=SUPPORT_TARGETS),
    "POST /api/service-supervision": Entry(
        ADMIN, "POST", reason=gettext_lazy("只有省公司管理员可以手工运行超时督办。")
    ),
    "GET /api/customers/{customer_id}/surveys": Entry(STAFF, scoped=True),
    "POST /api/customers/{customer_id}/surveys": Entry(WORKERS, "POST", scoped=True, reason=FOLLOW_UP),
    "GET /api/competitor-events": Entry(EVENT_READERS),
    "POST /api/competitor-events": Entry(WORKERS, "POST", reason=INTEL),
    "GET /api/competitor-events/{event_id}": Entry(EVENT_READERS),
    "POST /api/competitor-events/{event_id}/launch": Entry(LAUNCHERS, "POST", reason=RESPOND),
    "GET /api/competitor-events/{event_id}/team": Entry(EVENT_READERS),
    "POST /api/competitor-events/{event_id}/team": Entry(MANAGERS, "POST", reason=TEAM),
    "POST /api/competitor-events/{event_id}/team/steps/{step_id}/done": Entry(REACTORS, "POST", reason=REACT),
    "GET /api/competition/response-times": Entry(STAFF),
    "GET /api/competition/activity": Entry(STAFF),
    "GET /api/response-plans": Entry(STAFF),
    "POST /api/response-plans": Entry(CONFIGURERS, "POST", reason=PLANS),
    "GET /api/notifications": Entry(ALL),
    "GET /api/notifications/unread-count": Entry(ALL),
    "POST /api/notifications/{notification_id}/read": Entry(ALL, "POST"),
    "POST /api/notifications/read-all": Entry(ALL, "POST"),
    "GET /api/notifications/preferences": Entry(ALL),
    "PUT /api/notifications/preferences": Entry(ALL, "PUT"),
    "GET /api/schedules": Entry(ADMIN, reason=SCHEDULES),
    "PATCH /api/schedules/{job}": Entry(ADMIN, "PATCH", reason=SCHEDULES),
    "POST /api/schedules/{job}/run": Entry(ADMIN, "POST", reason=SCHEDULES),
    "GET /api/schedule-runs": Entry(ADMIN, reason=SCHEDULES),
    "GET /api/insight/briefs/{period}": Entry(MANAGERS, reason=BRIEF),
    "GET /api/tokens": Entry(ALL),
    "POST /api/tokens": Entry(ALL, "POST"),
    "DELETE /api/tokens/{token_id}": Entry(ALL, "DELETE", scoped=True),
}


def may(role: str, entry: Entry) -> bool:
    return "*" in entry.allow or role in entry.allow


def role_of(user: User) -> str:
    """The matrix's name for the user's role (a regional manager is ``city`` or ``district``)."""
    from .models import Region, User

    if user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN:
        return "admin"
    if user.role == User.Role.REGIONAL_MANAGER:
        return "district" if user.region is not None and user.region.level == Region.Level.DISTRICT else "city"
    return {
        User.Role.MARKETING_PLANNER: "planner",
        User.Role.ACCOUNT_MANAGER: "am",
        User.Role.PARTNER: "partner",
        User.Role.DEPARTMENT: "department",
    }.get(User.Role(user.role), "")


def require(user: User, route: str) -> None:
    """Refuse (404: the route reveals nothing) a user whose role the matrix does not allow on
    ``route`` (a page's URL name or an API operation, "GET /api/…"). A route the matrix does not
    know is refused to everyone."""
    entry = PAGES.get(route) or API.get(route)
    if entry is None or not (user.is_authenticated and user.is_active):
        raise Http404(_("页面不存在或无权查看。"))
    if not may(role_of(user), entry):
        if entry.reason is not None and role_of(user) in STAFF:
            raise PermissionDenied(str(entry.reason))
        raise Http404(_("页面不存在或无权查看。"))


def api_route(request: HttpRequest) -> str:
    """The matrix's key of the API operation a request calls: "GET /api/customers/{customer_id}"."""
    match = request.resolver_match
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", match.route if match else "")
    return f"{request.method} /{route}"


def page_route(request: HttpRequest) -> str | None:
    """The matrix's key of the page a request asks for (its URL name), or None for the back office
    (Django's admin, which has its own staff check) and the API (checked by its authentication)."""
    match = request.resolver_match
    if match is None or match.namespaces[:1] in (["admin"], ["api"]):
        return None
    return match.view_name
