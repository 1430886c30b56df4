"""Admin base classes for records that change only through the services, never by hand."""

from django.contrib import admin


class ServiceOwnedAdmin(admin.ModelAdmin):
    """Every field read-only; rows are neither added nor deleted here (the services write them and audit it)."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ServiceOwnedAdmin):
    """A record kept as it was written (a frozen snapshot, an audit event): it cannot be changed either."""

    def has_change_permission(self, request, obj=None):
        return False
