from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "zhengqi.scoring"
    verbose_name = _("月度运行与评分")
