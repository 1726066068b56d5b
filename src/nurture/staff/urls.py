from django.contrib.auth import views as auth_views
from django.urls import path

from . import account_views as acv
from . import alert_views as alv
from . import assessment_views as av
from . import evaluation_views as ev
from . import participant_views as pv
from . import views
from . import week_views as wv

app_name = "staff"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("account/", acv.account, name="account"),
    path("account/two-factor/setup/", acv.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/verify/", acv.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/recovery-codes/", acv.recovery_codes, name="recovery_codes"),
    path("account/two-factor/reset/", acv.reset_two_factor, name="reset_two_factor"),
    path("account/unlock/", acv.unlock, name="unlock"),
    path("cohorts/", views.cohort_list, name="cohorts"),
    path("cohorts/new/", views.cohort_create, name="cohort_create"),
    path("cohorts/<int:pk>/", views.cohort_detail, name="cohort"),
    path("cohorts/<int:pk>/edit/", views.cohort_edit, name="cohort_edit"),
    path("cohorts/<int:pk>/status/", views.cohort_status, name="cohort_status"),
    path("cohorts/<int:pk>/week/<int:week>/", wv.cohort_week, name="cohort_week"),
    path("participants/", pv.participant_list, name="participants"),
    path("participants/new/", pv.referral_create, name="referral_create"),
    path("participants/<int:pk>/", pv.participant_detail, name="participant"),
    path("participants/<int:pk>/edit/", pv.participant_edit, name="participant_edit"),
    path("participants/<int:pk>/screen/", pv.screen, name="screen"),
    path("participants/<int:pk>/consent/", pv.consent, name="consent"),
    path("participants/<int:pk>/enroll/", pv.enroll, name="enroll"),
    path("participants/<int:pk>/status/", pv.change_status, name="change_status"),
    path("participants/<int:pk>/schedule/", av.schedule, name="schedule"),
    path("assessments/<int:pk>/", av.assessment_detail, name="assessment"),
    path("assessments/<int:pk>/link/", av.issue_link, name="issue_link"),
    path("assessments/<int:pk>/link/email/", av.email_link, name="email_link"),
    path("assessments/<int:pk>/link/revoke/", av.revoke_links, name="revoke_links"),
    path("assessments/<int:pk>/paper/<str:instrument>/<int:entry>/", av.paper_entry, name="paper_entry"),
    path("assessments/<int:pk>/correct/", av.correct, name="correct"),
    path("assessments/<int:pk>/submit/", av.submit, name="submit_assessment"),
    path("assessments/<int:pk>/reconcile/<str:instrument>/", av.reconcile, name="reconcile"),
    path("alerts/", alv.alert_list, name="alerts"),
    path("evaluation/", ev.evaluation, name="evaluation"),
    path("evaluation/report/", ev.evaluation_report, name="evaluation_report"),
    path("evaluation/bundle/", ev.download_bundle, name="download_bundle"),
    path("alerts/<int:pk>/", alv.alert_detail, name="alert"),
]
