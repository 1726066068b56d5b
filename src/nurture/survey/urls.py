from django.urls import path

from . import views

app_name = "survey"

urlpatterns = [
    path("<str:token>/", views.start, name="start"),
    path("<str:token>/p/<int:number>/", views.page, name="page"),
    path("<str:token>/p/<int:number>/answer/", views.answer, name="answer"),
    path("<str:token>/support/", views.support, name="support"),
    path("<str:token>/review/", views.review, name="review"),
    path("<str:token>/done/", views.done, name="done"),
]
