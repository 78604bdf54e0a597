from django.urls import path

from . import views

app_name = "scoring"
urlpatterns = [
    path("rules/", views.rule_list_page, name="rules"),
    path("rules/new/", views.rule_edit_page, name="rule_new"),
    path("rules/preview/", views.rule_preview_fragment, name="rule_preview"),
    path("rules/<str:code>/", views.rule_edit_page, name="rule"),
    path("runs/", views.month_run_page, name="runs"),
    path("value-model/", views.value_model_page, name="value_model"),
    path("churn-model/", views.churn_model_page, name="churn_model"),
]
