from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Nurture administration"
admin.site.site_title = "Nurture"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("s/", include("nurture.survey.urls")),
    path("coding/", include("nurture.coding.urls")),
    path("", include("nurture.staff.urls")),
]
