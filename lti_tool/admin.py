"""Django admin: manual management of issuers, achievements and learners; awards are read-only."""

from django.contrib import admin

from .models import Achievement, Award, Issuer, Learner, LearnerIdentity, SigningKey, StatusList


class SigningKeyInline(admin.TabularInline):
    model = SigningKey
    fields = ("algorithm", "key_name", "active", "created_at", "retired_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Issuer)
class IssuerAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "uuid", "created_at")
    search_fields = ("name", "url")
    readonly_fields = ("uuid", "base_url")
    inlines = [SigningKeyInline]


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    list_display = ("name", "issuer", "status", "achievement_type", "credit_type", "updated_at")
    list_filter = ("status", "achievement_type", "credit_type", "issuer")
    search_fields = ("name", "human_code", "sis_code")
    readonly_fields = ("uuid",)


class LearnerIdentityInline(admin.TabularInline):
    model = LearnerIdentity
    extra = 0


@admin.register(Learner)
class LearnerAdmin(admin.ModelAdmin):
    list_display = ("display_name", "uuid", "created_at")
    search_fields = ("display_name", "identities__value")
    inlines = [LearnerIdentityInline]


@admin.register(Award)
class AwardAdmin(admin.ModelAdmin):
    """Awards are permanent: no add, change or delete here; revoke with `manage.py award_revoke`."""

    list_display = ("uuid", "achievement", "learner", "issued_at", "valid_until", "revoked_at", "source")
    list_filter = ("source", "achievement__issuer")
    search_fields = ("uuid", "learner__display_name", "learner__identities__value")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatusList)
class StatusListAdmin(admin.ModelAdmin):
    list_display = ("uuid", "issuer", "purpose", "size", "open_for_allocation", "published_at")
    exclude = ("bits",)
    readonly_fields = ("credential", "etag", "published_at")
