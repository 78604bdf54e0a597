from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.notifications_page, name="list"),
    path("notifications/<int:pk>/open/", views.notification_open, name="open"),
    path("notifications/read-all/", views.notifications_read, name="read_all"),
    path("notifications/settings/", views.preferences_page, name="settings"),
    path("schedules/", views.schedules_page, name="schedules"),
    path("schedules/<slug:job>/", views.schedule_edit, name="schedule_edit"),
    path("schedules/<slug:job>/run/", views.schedule_run, name="schedule_run"),
]
