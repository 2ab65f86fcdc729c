"""The technical tables (users, groups, the beat schedule) re-registered with unfold's admin classes, so
every admin page shares the workspace's look. Their behaviour is the packages' own; the navigation shows
them under "System" to the Secretariat admin group only (``coalition.site.workspace``)."""

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext as _
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from coalition.admin_inlines import TabularInline
from coalition.forms import DeleteEachThroughService

for model in (User, Group, PeriodicTask, IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

# django-axes' login attempts (registered only when AXES_ENABLE_ADMIN, its default).
for model, base in (
    (AccessAttempt, axes_admin.AccessAttemptAdmin),
    (AccessLog, axes_admin.AccessLogAdmin),
    (AccessFailureLog, axes_admin.AccessFailureLogAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
        admin.site.register(model, type(base.__name__, (base, ModelAdmin), {}))


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    pass


class TaskSelectWidget(UnfoldAdminSelectWidget, beat_admin.TaskSelectWidget):
    pass


class PeriodicTaskForm(beat_admin.PeriodicTaskForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["task"].widget = UnfoldAdminTextInputWidget()
        self.fields["regtask"].widget = TaskSelectWidget()


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(DeleteEachThroughService, beat_admin.PeriodicTaskAdmin, ModelAdmin):
    form = PeriodicTaskForm
    # The package's "Crontab translation" row is left out: the form's script (the template
    # admin/djcelery/change_periodictask_form.html) says the chosen crontab in words under its picker, and
    # follows a change of crontab, which the row, read when the page was drawn, does not.
    fieldsets = tuple(
        (title, {**options, "fields": tuple(f for f in options["fields"] if f != "crontab_translation")})
        for title, options in beat_admin.PeriodicTaskAdmin.fieldsets
    )

    def delete_blockers(self, obj) -> list[str]:
        # The project's own entries (the outbox and newsletter sweeps, the climate refresh…) come from
        # ``CELERY_BEAT_SCHEDULE``: beat writes them back at its next start, and until then their work
        # would silently not run. Pausing one is "Enabled", which beat leaves as staff set it.
        if obj.name in settings.CELERY_BEAT_SCHEDULE:
            return [
                _(
                    "“%(name)s” is part of the project's own schedule: deleted, its work would stop until "
                    "beat restarts and adds it back. Untick “Enabled” to pause it instead."
                )
                % {"name": obj.name}
            ]
        return []


class PeriodicTaskInline(beat_admin.PeriodicTaskInline, TabularInline):
    pass


@admin.register(IntervalSchedule)
class IntervalScheduleAdmin(beat_admin.IntervalScheduleAdmin, ModelAdmin):
    inlines = [PeriodicTaskInline]


@admin.register(CrontabSchedule)
class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin, ModelAdmin):
    inlines = [PeriodicTaskInline]


@admin.register(SolarSchedule)
class SolarScheduleAdmin(beat_admin.SolarScheduleAdmin, ModelAdmin):
    inlines = [PeriodicTaskInline]


@admin.register(ClockedSchedule)
class ClockedScheduleAdmin(beat_admin.ClockedScheduleAdmin, ModelAdmin):
    inlines = [PeriodicTaskInline]
