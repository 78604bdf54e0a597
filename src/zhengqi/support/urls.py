from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.desk_new, name="desk_new"),
    path("requests/<int:pk>/", views.request_page, name="request"),
    path("requests/<int:pk>/resolve/", views.request_resolve_view, name="request_resolve"),
    path("requests/<int:pk>/close/", views.request_close_view, name="request_close"),
    path("requests/<int:pk>/reopen/", views.request_reopen_view, name="request_reopen"),
    path("requests/<int:pk>/transfer/", views.request_transfer_view, name="request_transfer"),
    path("assessment/", views.assessment_page, name="assessment"),
    path("assessment/targets/", views.target_set_view, name="targets"),
    path("customers/<int:customer_id>/requests/new/", views.request_new, name="request_new"),
    path("customers/<int:customer_id>/surveys/", views.survey_new, name="survey_new"),
]
