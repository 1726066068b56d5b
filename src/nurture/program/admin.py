from django.contrib import admin

from nurture.safety.admin import CrisisResourceInline, SiteSafetyInline, copy_default_resources

from .models import Cohort, CurriculumVersion, Site, Study, WeekPlan


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    """One page per site: its name and time zone, its safety arrangements, its crisis resources."""

    list_display = ["code", "name", "time_zone"]
    inlines = [SiteSafetyInline, CrisisResourceInline]
    actions = ["copy_defaults"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        from django.contrib import messages

        from nurture.safety.domain import texts_enabled
        from nurture.safety.models import SiteSafety

        row = SiteSafety.objects.filter(site=form.instance).first()
        if row and row.phones and not texts_enabled():
            messages.warning(request, "Text messages are not configured on this server (NURTURE_SMS_URL), so the "
                                      "on-call mobiles will not be texted; alerts go to the on-call emails, or to "
                                      "the coordinators when there are none.")

    @admin.action(description="Copy the default crisis resources to edit them")
    def copy_defaults(self, request, queryset):
        created = sum(copy_default_resources(site) for site in queryset)
        self.message_user(request, f"{created} resource(s) copied; edit them on each site's page.")


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "id_prefix"]
    filter_horizontal = ["sites"]


class WeekPlanInline(admin.TabularInline):
    model = WeekPlan
    extra = 0


@admin.register(CurriculumVersion)
class CurriculumVersionAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "weeks"]
    inlines = [WeekPlanInline]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    """Read-only here: cohorts are created in the staff interface so sessions are generated."""

    list_display = ["name", "site", "curriculum", "start_date", "status"]
    list_filter = ["site", "status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
