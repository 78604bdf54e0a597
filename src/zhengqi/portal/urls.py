"""The portal's pages. The customer's 360° page and the workload page keep their places under
/customers/ (and their names in the ``customers`` namespace): the customers app's own pages are
joined with them here, where both may be imported."""

from django.urls import include, path

from zhengqi.customers import urls as customer_urls

from . import views

app_name = "portal"

customer_pages = [
    path("", views.customer_list_page, name="list"),
    path("export.<str:fmt>", views.customer_list_export, name="export"),
    path("to-segment/", views.customer_list_to_segment, name="to_segment"),
    *customer_urls.urlpatterns,
    path("<int:pk>/", views.customer_page, name="detail"),
    path("portfolio/", views.portfolio_page, name="portfolio"),
]

urlpatterns = [
    path("workbench/", views.workbench_page, name="workbench"),
]
customers = path("customers/", include((customer_pages, customer_urls.app_name)))
