"""The REST API (Django Ninja, OpenAPI at /api/docs): mounts each app's router.

Authentication is an API token (``Authorization: Bearer zq_…``, made on the "API 令牌" page) or the
user's session (with CSRF for writes); every operation is checked against the role matrix before it
runs, and the same selectors as the pages limit what each user sees.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as InputError

from zhengqi.accounts.api import router as accounts_router
from zhengqi.accounts.api_auth import SessionAccess, TokenAccess
from zhengqi.competition.api import router as competition_router
from zhengqi.competition.tariffs_api import router as tariffs_router
from zhengqi.customers.api import router as customers_router
from zhengqi.customers.approvals_api import changes_router, registrations_router
from zhengqi.customers.contracts_api import router as contracts_router
from zhengqi.imports.api import router as imports_router
from zhengqi.insight.api import router as insight_router
from zhengqi.insight.talent_api import router as talent_router
from zhengqi.marketing.campaigns.api import exports_router as campaign_exports_router
from zhengqi.marketing.campaigns.api import router as campaigns_router
from zhengqi.marketing.campaigns.api import strategy_router
from zhengqi.marketing.development.api import router as development_router
from zhengqi.marketing.kit.api import router as kit_router
from zhengqi.marketing.pipeline.api import router as pipeline_router
from zhengqi.marketing.referrals_api import router as referrals_router
from zhengqi.marketing.tasks.api import router as marketing_router
from zhengqi.marketing.tiers_api import router as tiers_router
from zhengqi.notifications.api import router as notifications_router
from zhengqi.partners.api import router as partners_router
from zhengqi.portal.api import router as portal_router
from zhengqi.scoring.api import router as scoring_router
from zhengqi.scoring.segments_api import router as segments_router
from zhengqi.support.api import router as support_router
from zhengqi.web.api_errors import (
    NulCharacter,
    StrictParser,
    http_error_detail,
    not_found_detail,
    unauthorized_detail,
    validation_detail,
)
from zhengqi.web.forms import StaleEdit

api = NinjaAPI(
    title="政企 Zhengqi API",
    version="1",
    description="集团客户营销管理 REST API。所有接口遵循与页面相同的区域与归属权限。",
    auth=[TokenAccess(), SessionAccess()],
    urls_namespace="api",
    parser=StrictParser(),
)
api.add_router("/customers", customers_router, tags=["客户 customers"])
api.add_router("/contracts", contracts_router, tags=["客户 customers"])
api.add_router("/change-requests", changes_router, tags=["客户 customers"])
api.add_router("/registrations", registrations_router, tags=["客户 customers"])
api.add_router("/", portal_router, tags=["工作台 workbench"])
api.add_router("/", scoring_router, tags=["月度运行 month run"])
api.add_router("/", segments_router, tags=["客户细分与导出 segments and exports"])
api.add_router("/", notifications_router, tags=["通知与定时任务 notifications and schedules"])
api.add_router("/imports", imports_router, tags=["数据导入 imports"])
api.add_router("/", marketing_router, tags=["客户经理工作 account manager's day"])
api.add_router("/campaigns", campaigns_router, tags=["营销活动与效果评估 campaigns and evaluation"])
api.add_router("/development", development_router, tags=["商机识别与开发申请 opportunities"])
api.add_router("/", pipeline_router, tags=["商机管道 pipeline"])
api.add_router("/", kit_router, tags=["营销工具包 sales kit"])
api.add_router("/", tiers_router, tags=["分层服务 service by tier"])
api.add_router("/", referrals_router, tags=["全员营销 all-staff referrals"])
api.add_router("/", strategy_router, tags=["营销活动与效果评估 campaigns and evaluation"])
api.add_router("/", campaign_exports_router, tags=["客户细分与导出 segments and exports"])
api.add_router("/", talent_router, tags=["客户经理培养 account-manager development"])
api.add_router("/insight", insight_router, tags=["客户洞察与经营分析 insight and reports"])
api.add_router("/", partners_router, tags=["代理商渠道 partners"])
api.add_router("/", support_router, tags=["服务请求 service requests"])
api.add_router("/", competition_router, tags=["竞争情报 competition"])
api.add_router("/", tariffs_router, tags=["终端与资费 terminals and tariffs"])
api.add_router("/", accounts_router, tags=["审计与令牌 audit and tokens"])


def validation_messages(err: ValidationError) -> str:
    """A refused input as one Chinese sentence, field labels left to the caller."""
    if hasattr(err, "error_dict"):
        return "；".join(str(m) for msgs in err.message_dict.values() for m in msgs)
    return "；".join(err.messages)


@api.exception_handler(ValidationError)
def _refused(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": validation_messages(exc)}, status=422)


@api.exception_handler(StaleEdit)
def _conflict(request: HttpRequest, exc: StaleEdit) -> HttpResponse:
    return api.create_response(request, {"detail": validation_messages(exc)}, status=409)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "无权操作。"}, status=403)


@api.exception_handler(InputError)
def _invalid(request: HttpRequest, exc: InputError) -> HttpResponse:
    return api.create_response(request, validation_detail(exc), status=422)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": not_found_detail(exc)}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": unauthorized_detail(exc)}, status=401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = 422 if isinstance(exc.__cause__, NulCharacter) else exc.status_code
    return api.create_response(request, {"detail": http_error_detail(exc)}, status=status)


@api.exception_handler(NulCharacter)
def _nul(request: HttpRequest, exc: NulCharacter) -> HttpResponse:
    return api.create_response(request, {"detail": exc.sentence()}, status=422)
