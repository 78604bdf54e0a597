from django.urls import path

from zhengqi.marketing import referral_views, tier_views
from zhengqi.marketing.campaigns import views as campaign_views
from zhengqi.marketing.development import views as development_views
from zhengqi.marketing.kit import views as kit_views
from zhengqi.marketing.pipeline import views as pipeline_views
from zhengqi.marketing.tasks import views as views

app_name = "marketing"
urlpatterns = [
    path("tasks/", views.task_list_page, name="tasks"),
    path("tasks/<int:pk>/close/", views.task_close_fragment, name="task_close"),
    path("tasks/bulk/", views.tasks_bulk_view, name="tasks_bulk"),
    path("tasks/export.<str:fmt>", views.task_list_export, name="tasks_export"),
    path("tasks/backlog/export.<str:fmt>", views.backlog_export, name="backlog_export"),
    path("tasks/backlog/", views.task_backlog_page, name="backlog"),
    path("tasks/backlog/<int:alert_id>/take/", views.task_take_view, name="backlog_take"),
    path("customers/<int:customer_id>/tasks/", views.task_create_view, name="task_create"),
    path("customers/<int:customer_id>/interactions/", views.interaction_create, name="interaction_create"),
    path("interactions/<int:pk>/photo/", views.interaction_photo, name="interaction_photo"),
    path("campaigns/", campaign_views.campaigns_page, name="campaigns"),
    path("campaigns/new/", campaign_views.campaign_form_page, name="campaign_new"),
    path("campaigns/<int:pk>/", campaign_views.campaign_page, name="campaign"),
    path("campaigns/<int:pk>/edit/", campaign_views.campaign_form_page, name="campaign_edit"),
    path("campaigns/policy/", campaign_views.contact_policy_page, name="contact_policy"),
    path("campaigns/<int:pk>/launch/preview/", campaign_views.campaign_launch_page, name="campaign_launch"),
    path("campaigns/<int:pk>/export.<str:fmt>", campaign_views.campaign_export, name="campaign_export"),
    path("campaigns/<int:pk>/<str:action>/", campaign_views.campaign_action, name="campaign_action"),
    path(
        "campaigns/<int:pk>/targets/<int:customer_id>/outcome/",
        campaign_views.target_outcome_page,
        name="target_outcome",
    ),
    path("strategy/", campaign_views.strategy_page, name="strategy"),
    path("referrals/", referral_views.referral_list, name="referrals"),
    path("referrals/new/", referral_views.referral_new, name="referral_new"),
    path("referrals/rewards/", referral_views.referral_rewards, name="referral_rewards"),
    path("referrals/rules/", referral_views.referral_rule_new, name="referral_rule_new"),
    path("referrals/<int:pk>/", referral_views.referral_page, name="referral"),
    path("referrals/<int:pk>/progress/", referral_views.referral_progress_view, name="referral_progress"),
    path("service-tiers/", tier_views.tiers_page, name="tiers"),
    path("service-tiers/<str:tier>/", tier_views.tier_edit, name="tier_edit"),
    path("kit/", kit_views.kit_page, name="kit"),
    path("kit/<int:pk>/", kit_views.material_page, name="material"),
    path("kit/<int:pk>/versions/", kit_views.material_version_new, name="material_version_new"),
    path("kit/<int:pk>/file/", kit_views.material_file, name="material_file"),
    path("opportunities/", development_views.opportunities_page, name="opportunities"),
    path("prospects/new/", development_views.prospect_new_page, name="prospect_new"),
    path("customers/<int:customer_id>/develop/", development_views.application_new_page, name="application_new"),
    path("applications/<int:pk>/", development_views.application_page, name="application"),
    path("applications/<int:pk>/decide/", development_views.application_decide_page, name="application_decide"),
    path("pipeline/", pipeline_views.pipeline_page, name="pipeline"),
    path("customers/<int:customer_id>/opportunity/", pipeline_views.opportunity_new_page, name="opportunity_new"),
    path("opportunities/<int:pk>/", pipeline_views.opportunity_page, name="opportunity"),
    path("opportunities/<int:pk>/project/", pipeline_views.project_page, name="project"),
]
