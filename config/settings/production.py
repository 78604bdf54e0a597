"""Production settings: refuse to start with the development secret."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEV_SECRET_KEY, SECRET_KEY

if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:
    raise ImproperlyConfigured(
        "生产环境必须设置 ZHENGQI_SECRET_KEY（至少 32 个字符）。 Production needs ZHENGQI_SECRET_KEY (32+ characters)."
    )

DEBUG = False
SESSION_COOKIE_SECURE = os.environ.get("ZHENGQI_HTTPS", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
