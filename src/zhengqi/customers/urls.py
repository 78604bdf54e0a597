from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list_page, name="list"),
    path("<int:pk>/reassign/", views.customer_reassign, name="reassign"),
    path("<int:pk>/key-persons/reveal/", views.key_persons_reveal_fragment, name="reveal"),
    path("reassign/", views.customers_bulk_reassign, name="bulk_reassign"),
    path("duplicates/", views.duplicates_page, name="duplicates"),
]
