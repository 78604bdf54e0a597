"""URL map: pages per app, the REST API under /api/, the back-office admin under /admin/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from zhengqi.accounts.views import audit_page, token_revoke_page, tokens_page
from zhengqi.api import api
from zhengqi.portal import urls as portal_urls
from zhengqi.portal.views import home

admin.site.site_header = "政企 Zhengqi 后台管理"
admin.site.site_title = "政企 Zhengqi"

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("audit/", audit_page, name="audit"),
    path("tokens/", tokens_page, name="tokens"),
    path("tokens/<int:pk>/revoke/", token_revoke_page, name="token_revoke"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include(portal_urls)),
    portal_urls.customers,
    path("scoring/", include("zhengqi.scoring.urls")),
    path("marketing/", include("zhengqi.marketing.urls")),
    path("imports/", include("zhengqi.imports.urls")),
    path("insight/", include("zhengqi.insight.urls")),
    path("partners/", include("zhengqi.partners.urls")),
    path("support/", include("zhengqi.support.urls")),
    path("competition/", include("zhengqi.competition.urls")),
    path("", include("zhengqi.notifications.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

handler404 = "zhengqi.accounts.views.not_found"
handler400 = "zhengqi.accounts.views.bad_request"
