from django.urls import path

from . import change_views, record_views, registration_views, views

app_name = "customers"
urlpatterns = [
    path("<int:pk>/reassign/", views.customer_reassign, name="reassign"),
    path("<int:pk>/key-persons/reveal/", views.key_persons_reveal_fragment, name="reveal"),
    path("reassign/", views.customers_bulk_reassign, name="bulk_reassign"),
    path("duplicates/", views.duplicates_page, name="duplicates"),
    path("<int:pk>/changes/new/", change_views.change_new, name="change_new"),
    path("changes/", change_views.change_list, name="changes"),
    path("registrations/", registration_views.registration_list, name="registrations"),
    path("registrations/new/", registration_views.registration_new, name="registration_new"),
    path("registrations/<int:registration_id>/", registration_views.registration_page, name="registration"),
    path(
        "registrations/<int:registration_id>/decide/",
        registration_views.registration_decision,
        name="registration_decide",
    ),
    path(
        "registrations/<int:registration_id>/evidence/",
        registration_views.registration_evidence,
        name="registration_evidence",
    ),
    path("changes/<int:change_id>/", change_views.change_page, name="change"),
    path("changes/<int:change_id>/decide/", change_views.change_decision, name="change_decide"),
    path("changes/<int:change_id>/withdraw/", change_views.change_withdrawal, name="change_withdraw"),
    path("<int:pk>/lost/", record_views.customer_lost, name="mark_lost"),
    path("<int:pk>/reactivate/", record_views.customer_back, name="reactivate"),
    path("<int:pk>/key-persons/new/", record_views.key_person_new, name="key_person_new"),
    path("<int:pk>/key-persons/<int:person_id>/", record_views.key_person_edit, name="key_person_edit"),
    path("<int:pk>/key-persons/<int:person_id>/leave/", record_views.key_person_leave, name="key_person_leave"),
    path("<int:pk>/contracts/new/", record_views.contract_new, name="contract_new"),
    path("<int:pk>/contracts/<int:contract_id>/renew/", record_views.contract_renewal, name="contract_renew"),
    path("<int:pk>/contracts/<int:contract_id>/terminate/", record_views.contract_end, name="contract_terminate"),
    path("<int:pk>/contracts/<int:contract_id>/file/", record_views.contract_signed_file, name="contract_file"),
]
