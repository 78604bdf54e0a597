from django.urls import path

from . import views

app_name = "marketing"
urlpatterns = [
    path("", views.workbench_page, name="workbench"),
    path("tasks/", views.task_list_page, name="tasks"),
    path("tasks/<int:pk>/close/", views.task_close_fragment, name="task_close"),
    path("customers/<int:customer_id>/tasks/", views.task_create_view, name="task_create"),
    path("customers/<int:customer_id>/interactions/", views.interaction_create, name="interaction_create"),
]
