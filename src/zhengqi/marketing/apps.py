from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "zhengqi.marketing"
    verbose_name = _("营销与任务")
