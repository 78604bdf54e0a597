from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.import_page, name="index"),
    path("<int:pk>/", views.batch_page, name="batch"),
    path("<int:pk>/report.<str:fmt>", views.batch_report, name="report"),
]
