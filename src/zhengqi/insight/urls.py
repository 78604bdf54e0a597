from django.urls import path

from . import talent_views, views

app_name = "insight"
urlpatterns = [
    path("", views.dashboard_page, name="dashboards"),
    path("customers/", views.customers_page, name="customers"),
    path("report/", views.report_page, name="report"),
    path("brief/", views.brief_page, name="brief"),
    path("brief.pdf", views.brief_pdf, name="brief_pdf"),
    path("kpi/", views.kpi_page, name="kpi"),
    path("kpi/export.<str:fmt>", views.kpi_export, name="kpi_export"),
    path("kpi/<int:manager_id>/", views.kpi_manager_page, name="kpi_manager"),
    path("talent/", talent_views.talent_page, name="talent"),
    path("talent/rate/", talent_views.talent_rate, name="talent_rate"),
    path("talent/changes/<int:change_id>/decide/", talent_views.talent_decide, name="talent_decide"),
    path("talent/qualification/<int:customer_id>/", talent_views.qualification_fix, name="qualification_fix"),
    path("talent/<int:user_id>/", talent_views.talent_person, name="talent_person"),
    path("talent/<int:user_id>/courses/", talent_views.talent_course, name="talent_course"),
    path("talent/<int:user_id>/certifications/", talent_views.talent_certification, name="talent_certification"),
    path("<str:key>/", views.dashboard_page, name="dashboard"),
]
