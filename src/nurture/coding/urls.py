from django.urls import path

from . import views

app_name = "coding"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("a/<str:token>/", views.code, name="code"),
    path("compare/<str:blind_code>/", views.compare, name="compare"),
    path("manage/", views.manage, name="manage"),
    path("manage/recordings/new/", views.recording_new, name="recording_new"),
    path("manage/transcripts/new/", views.transcript_new, name="transcript_new"),
    path("manage/segments/", views.segment_feedback, name="segment_feedback"),
    path("manage/assign/<str:kind>/", views.assign, name="assign"),
    path("reliability/", views.reliability, name="reliability"),
]
