from django.urls import path

from . import views

app_name = "service"

urlpatterns = [
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.desk_new, name="desk_new"),
    path("requests/<int:pk>/", views.request_page, name="request"),
    path("requests/<int:pk>/resolve/", views.request_resolve_view, name="request_resolve"),
    path("requests/<int:pk>/close/", views.request_close_view, name="request_close"),
    path("requests/<int:pk>/reopen/", views.request_reopen_view, name="request_reopen"),
    path("customers/<int:customer_id>/requests/new/", views.request_new, name="request_new"),
    path("customers/<int:customer_id>/surveys/", views.survey_new, name="survey_new"),
    path("competition/", views.competition, name="competition"),
    path("competition/events/new/", views.event_new, name="event_new"),
    path("competition/plans/new/", views.plan_new, name="plan_new"),
    path("competition/events/<int:pk>/", views.event_page, name="event"),
    path("competition/events/<int:pk>/launch/", views.event_launch, name="event_launch"),
]
