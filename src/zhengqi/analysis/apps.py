from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    name = "zhengqi.analysis"
    verbose_name = _("经营分析")
