from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "staff"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("cohorts/", views.cohort_list, name="cohorts"),
    path("cohorts/new/", views.cohort_create, name="cohort_create"),
    path("cohorts/<int:pk>/", views.cohort_detail, name="cohort"),
    path("cohorts/<int:pk>/status/", views.cohort_status, name="cohort_status"),
    path("cohorts/<int:pk>/week/<int:week>/", views.cohort_week, name="cohort_week"),
    path("participants/", views.participant_list, name="participants"),
    path("participants/new/", views.referral_create, name="referral_create"),
    path("participants/<int:pk>/", views.participant_detail, name="participant"),
    path("participants/<int:pk>/screen/", views.screen, name="screen"),
    path("participants/<int:pk>/consent/", views.consent, name="consent"),
    path("participants/<int:pk>/enroll/", views.enroll, name="enroll"),
    path("participants/<int:pk>/status/", views.change_status, name="change_status"),
]
