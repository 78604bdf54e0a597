from django.urls import path

from . import segment_views, views

app_name = "scoring"
urlpatterns = [
    path("rules/", views.rule_list_page, name="rules"),
    path("rules/new/", views.rule_edit_page, name="rule_new"),
    path("rules/preview/", views.rule_preview_fragment, name="rule_preview"),
    path("rules/<str:code>/", views.rule_edit_page, name="rule"),
    path("runs/", views.month_run_page, name="runs"),
    path("value-model/", views.value_model_page, name="value_model"),
    path("churn-model/", views.churn_model_page, name="churn_model"),
    path("segments/", segment_views.segment_list_page, name="segments"),
    path("segments/new/", segment_views.segment_edit_page, name="segment_new"),
    path("segments/<int:pk>/", segment_views.segment_page, name="segment"),
    path("segments/<int:pk>/edit/", segment_views.segment_edit_page, name="segment_edit"),
    path("segments/<int:pk>/export.<str:fmt>", segment_views.segment_export, name="segment_export"),
]
