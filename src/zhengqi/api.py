"""The REST API (Django Ninja, OpenAPI at /api/docs): mounts each app's router.

Authentication is the user's session (with CSRF for writes); the same selectors as the pages
limit what each user sees.
"""

from ninja import NinjaAPI
from ninja.security import django_auth

from zhengqi.customers.api import router as customers_router
from zhengqi.insight.api import router as insight_router

api = NinjaAPI(
    title="政企 Zhengqi API",
    version="1",
    description="集团客户营销管理 REST API。所有接口遵循与页面相同的区域与归属权限。",
    auth=django_auth,
    urls_namespace="api",
)
api.add_router("/customers", customers_router, tags=["客户 customers"])
api.add_router("/", insight_router, tags=["月度运行 month run"])
