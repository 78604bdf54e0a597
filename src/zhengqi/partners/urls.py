from django.urls import path

from . import views

app_name = "partners"
urlpatterns = [
    path("", views.partners_page, name="partners"),
    path("new/", views.partner_form_page, name="partner_new"),
    path("<int:pk>/", views.partner_page, name="partner"),
    path("<int:pk>/edit/", views.partner_form_page, name="partner_edit"),
    path("customers/<int:customer_id>/claim/", views.attribute_page, name="attribute"),
    path("deals/<int:pk>/withdraw/", views.withdraw_view, name="withdraw"),
    path("conflicts/", views.conflicts_page, name="conflicts"),
    path("conflicts/<int:pk>/decide/", views.decide_view, name="decide"),
    path("rules/", views.rules_page, name="rules"),
    path("settlement/", views.settlement_page, name="settlement"),
    path("settlement/run/", views.settle_view, name="settle"),
    path("statements/<int:pk>/", views.statement_page, name="statement"),
    path("statements/<int:pk>/approve/", views.statement_approve_view, name="statement_approve"),
    path("statements/<int:pk>/file.<str:fmt>", views.statement_file, name="statement_file"),
    path("mine/", views.mine_page, name="mine"),
]
