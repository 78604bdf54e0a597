from django.urls import path

from . import views

app_name = "analysis"
urlpatterns = [
    path("", views.dashboard_page, name="dashboards"),
    path("customers/", views.customers_page, name="customers"),
    path("report/", views.report_page, name="report"),
    path("<str:key>/", views.dashboard_page, name="dashboard"),
]
