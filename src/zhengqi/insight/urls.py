from django.urls import path

from . import views

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
    path("<str:key>/", views.dashboard_page, name="dashboard"),
]
