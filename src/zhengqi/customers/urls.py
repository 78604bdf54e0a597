from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list_page, name="list"),
    path("<int:pk>/", views.customer_detail_page, name="detail"),
    path("<int:pk>/reassign/", views.customer_reassign, name="reassign"),
]
