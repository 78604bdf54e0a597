from django.urls import path

from . import tariff_views, views

app_name = "competition"
urlpatterns = [
    path("", views.competition, name="activity"),
    path("events/new/", views.event_new, name="event_new"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("events/<int:pk>/", views.event_page, name="event"),
    path("events/<int:pk>/launch/", views.event_launch, name="event_launch"),
    path("events/<int:pk>/tariffs/", tariff_views.event_tariff_new, name="event_tariff"),
    path("tariffs/", tariff_views.tariffs_page, name="tariffs"),
    path("tariffs/terminals/", tariff_views.terminal_new, name="terminal_new"),
    path("tariffs/plans/", tariff_views.tariff_new, name="tariff_new"),
    path("customers/<int:customer_id>/bundles/", tariff_views.bundle_page, name="bundles"),
    path("bundles/<int:pk>/decision/", tariff_views.bundle_decide_view, name="bundle_decide"),
    path("events/<int:pk>/team/", views.team_form_view, name="team_form"),
    path("events/<int:pk>/team/steps/<int:step>/done/", views.step_done_view, name="step_done"),
]
