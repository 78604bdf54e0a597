"""The demo province's all-staff referrals: leads from support departments, a partner and the staff,
routed, some followed to won or lost; two versions of the reward rule."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import Customer

from .models import Referral, ReferralRewardRule
from .referrals import ReferralInput, referral_create, referral_progress, reward_rule_add

# referrer login, organisation, need, days ago, outcome (status, monthly revenue or reason)
LEADS = [
    ("dept", "星城市第二人民医院", "新院区需要 200 个信息点和一条专线", 70, ("won", "6800")),
    ("network", "云海物流园", "园区 30 家入驻企业要宽带", 55, ("won", "2400")),
    ("billing", "星城市实验中学", "校园安防监控上云", 40, ("lost", "已由对手中标")),
    ("partner", "海川建材有限公司", "门店统一组网", 33, ("won", "900")),
    ("planner", "云海市农业技术推广站", "农技员移动办公", 20, ("following", "")),
    ("network", "星城市图书馆", "读者免费 Wi-Fi 扩容", 12, ("won", "1500")),
    ("dept", "晨光食品厂", "车间设备联网", 5, None),
    ("am", "永宁区政务服务中心", "窗口排队叫号系统短信通知", 2, None),
]


def wipe() -> None:
    Referral.objects.all().delete()
    ReferralRewardRule.objects.all().delete()


def load(now: dt.datetime | None = None) -> None:
    admin = User.objects.filter(role=User.Role.PROVINCIAL_ADMIN).order_by("pk").first()
    if admin is None or not Customer.objects.exists():
        return
    now = now or timezone.now()
    this_month = timezone.localdate(now).replace(day=1)
    regions = list(Region.objects.filter(level=Region.Level.DISTRICT).order_by("path")) or list(Region.objects.all())
    with transaction.atomic():
        reward_rule_add(
            by=admin, effective_from=this_month.replace(year=this_month.year - 1), fixed="50", rate="5%", cap="2000",
            note="首版",
        )  # fmt: skip
        reward_rule_add(by=admin, effective_from=this_month, fixed="100", rate="5%", cap="3000", note="提高每单奖励")
        for k, (login, organisation, need, days, outcome) in enumerate(LEADS):
            referrer = User.objects.filter(username=login).first()
            if referrer is None:
                continue
            at = now - dt.timedelta(days=days)
            made = referral_create(
                by=referrer,
                data=ReferralInput(
                    organisation=organisation,
                    region_id=regions[k % len(regions)].pk,
                    need=need,
                    contact_name="王主任",
                    contact_phone=f"1391234{5600 + k:04d}",
                ),
                now=at,
            )
            if outcome is None:
                continue
            status, detail = outcome
            referral_progress(
                by=made.routed_to,
                referral=made,
                status=status,
                note="" if status == "won" else detail,
                won_revenue=detail if status == "won" else None,
                now=min(now, at + dt.timedelta(days=6)),
            )
