"""Django admin: manual management of issuers, achievements and learners; awards are read-only.

LTI: platforms, registrations and deployments can be added by hand (manual registration) and are
approved or disabled with actions; courses, links, LTI users and launches are read-only.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from .lti.registration import (
    ApprovalRefused,
    lti_deployment_approve,
    lti_deployment_disable,
    lti_registration_approve,
    lti_registration_disable,
    tool_urls,
)
from .models import (
    Achievement,
    Award,
    Issuer,
    Learner,
    LearnerIdentity,
    LtiContext,
    LtiDeployment,
    LtiLaunch,
    LtiPlatform,
    LtiRegistration,
    LtiResourceLink,
    LtiUser,
    SigningKey,
    StatusList,
)


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records made by the service (awards, launches): viewable, never added, edited or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Award)
class AwardAdmin(ReadOnlyAdmin):
    """Awards are permanent: no add, change or delete here; revoke with `manage.py award_revoke`."""

    list_display = ("uuid", "achievement", "learner", "issued_at", "valid_until", "revoked_at", "source")
    list_filter = ("source", "achievement__issuer")
    search_fields = ("uuid", "learner__display_name", "learner__identities__value")


@admin.register(StatusList)
class StatusListAdmin(admin.ModelAdmin):
    list_display = ("uuid", "issuer", "purpose", "size", "open_for_allocation", "published_at")
    exclude = ("bits",)
    readonly_fields = ("credential", "etag", "published_at")


# --- LTI -------------------------------------------------------------------------------------------------

TOOL_URL_LABELS = (("login", "OpenID Connect login initiation URL"), ("launch", "Launch / redirect URL"),
                   ("target_link_uri", "Target link URI"), ("deep_linking", "Deep Linking URL"),
                   ("jwks", "Public keyset (JWKS) URL"), ("domain", "Domain"),
                   ("dynamic_registration", "Dynamic Registration URL (add ?code=…)"))


def tool_urls_html() -> str:
    """Return Accolade's own values for an LMS administrator, as an HTML list."""
    urls = tool_urls()
    return format_html("<dl>{}</dl>", format_html_join(
        "", "<dt>{}</dt><dd><code>{}</code></dd>", ((label, urls[key]) for key, label in TOOL_URL_LABELS)))


class NoBulkDeleteMixin:
    """Drop the bulk delete action (it would bypass the per-object rule); URLs typed without a scheme are https."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(LtiPlatform)
class LtiPlatformAdmin(NoBulkDeleteMixin, admin.ModelAdmin):
    list_display = ("issuer", "name", "family", "created_at")
    list_filter = ("family",)
    search_fields = ("issuer", "name")
    readonly_fields = ("uuid", "created_at")

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.registrations.exists() or obj.users.exists()):
            return False
        return super().has_delete_permission(request, obj)


class LtiDeploymentForm(forms.ModelForm):
    """A deployment can be active only with an issuer: its badges are signed in that issuer's name."""

    class Meta:
        model = LtiDeployment
        fields = ("registration", "deployment_id", "name", "issuer", "status")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == LtiDeployment.Status.ACTIVE and not cleaned.get("issuer"):
            raise forms.ValidationError("Choose the Accolade issuer before making this deployment active.")
        return cleaned


class LtiDeploymentInline(admin.TabularInline):
    model = LtiDeployment
    form = LtiDeploymentForm
    fields = ("deployment_id", "name", "issuer", "status", "created_at")
    readonly_fields = ("created_at",)
    extra = 0
    can_delete = False
    show_change_link = True


class IssuerChoiceForm(forms.Form):
    issuer = forms.ModelChoiceField(queryset=Issuer.objects.order_by("name"), required=False,
                                    help_text="Assigned to pending deployments that have no issuer yet.")


@admin.register(LtiRegistration)
class LtiRegistrationAdmin(NoBulkDeleteMixin, admin.ModelAdmin):
    """Registrations: Dynamic Registration creates them pending; add one by hand for manual registration."""

    list_display = ("client_id", "platform", "status", "registered_via", "deployment_count", "created_at")
    list_filter = ("status", "registered_via", "platform__family")
    search_fields = ("client_id", "platform__issuer", "platform__name")
    readonly_fields = ("uuid", "registered_via", "created_at", "platform_configuration", "accolade_values")
    fieldsets = (
        (None, {"fields": ("uuid", "platform", "client_id", "status", "registered_via", "created_at")}),
        ("Platform endpoints (from the LMS)", {"fields": ("auth_login_url", "auth_token_url", "auth_audience",
                                                         "key_set_url", "scopes")}),
        ("Accolade's values for the LMS", {"fields": ("accolade_values",)}),
        ("OpenID configuration (Dynamic Registration)", {"classes": ("collapse",),
                                                         "fields": ("platform_configuration",)}),
    )
    inlines = [LtiDeploymentInline]
    actions = ["approve", "disable"]

    def get_readonly_fields(self, request, obj=None):
        fields = self.readonly_fields
        return (*fields, "platform", "client_id") if obj is not None else fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.deployments.exists():
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="Deployments")
    def deployment_count(self, obj):
        return obj.deployments.count()

    @admin.display(description="Values to enter in the LMS")
    def accolade_values(self, obj):
        return tool_urls_html()

    @admin.display(description="OpenID configuration")
    def platform_configuration(self, obj):
        if not obj or not obj.openid_configuration:
            return "—"
        return format_html("<pre>{}</pre>", json.dumps(obj.openid_configuration, indent=2, ensure_ascii=False))

    @admin.action(description="Approve selected registrations (and their pending deployments)")
    def approve(self, request, queryset):
        form = IssuerChoiceForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            for registration in queryset:
                approval = lti_registration_approve(registration=registration, issuer=form.cleaned_data["issuer"])
                self.message_user(request, f"{registration} is active; {len(approval.activated)} deployment(s) "
                                  "approved.", messages.SUCCESS)
                for deployment in approval.waiting:
                    self.message_user(request, f"Deployment {deployment.deployment_id} of {registration} stays "
                                      "pending: choose its issuer first.", messages.WARNING)
            return None
        issuers = list(Issuer.objects.order_by("name")[:2])
        if not form.is_bound and len(issuers) == 1:
            form = IssuerChoiceForm(initial={"issuer": issuers[0]})
        pending = LtiDeployment.objects.filter(registration__in=queryset, status=LtiDeployment.Status.PENDING)
        return TemplateResponse(request, "lti_tool/lti/registration_admin_approve.html", {
            **self.admin_site.each_context(request), "title": "Approve LTI registrations", "opts": self.model._meta,
            "registrations": queryset, "pending": pending.select_related("registration", "issuer"), "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME})

    @admin.action(description="Disable selected registrations")
    def disable(self, request, queryset):
        for registration in queryset:
            lti_registration_disable(registration=registration)
        self.message_user(request, f"{queryset.count()} registration(s) disabled.", messages.SUCCESS)


@admin.register(LtiDeployment)
class LtiDeploymentAdmin(NoBulkDeleteMixin, admin.ModelAdmin):
    """Deployments (tenants): approve once the issuer is chosen; a deployment with data is never deleted."""

    form = LtiDeploymentForm
    list_display = ("__str__", "deployment_id", "registration", "status", "issuer", "created_at")
    list_filter = ("status", "registration__platform")
    search_fields = ("deployment_id", "name", "registration__client_id", "registration__platform__issuer")
    readonly_fields = ("uuid", "created_at")
    actions = ["approve", "disable"]

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "registration", "deployment_id") if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.contexts.exists() or obj.resource_links.exists()
                                or LtiLaunch.objects.filter(deployment=obj).exists()):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description="Approve selected deployments (their issuer must be chosen)")
    def approve(self, request, queryset):
        for deployment in queryset.select_related("registration"):
            try:
                lti_deployment_approve(deployment=deployment)
            except ApprovalRefused as error:
                self.message_user(request, str(error), messages.ERROR)
                continue
            self.message_user(request, f"Deployment {deployment} approved.", messages.SUCCESS)
            if deployment.registration.status != LtiRegistration.Status.ACTIVE:
                self.message_user(request, f"Its registration {deployment.registration} is not active: approve it "
                                  "too, or launches stay refused.", messages.WARNING)

    @admin.action(description="Disable selected deployments")
    def disable(self, request, queryset):
        for deployment in queryset:
            lti_deployment_disable(deployment=deployment)
        self.message_user(request, f"{queryset.count()} deployment(s) disabled.", messages.SUCCESS)


@admin.register(LtiContext)
class LtiContextAdmin(ReadOnlyAdmin):
    list_display = ("title", "label", "context_id", "deployment", "updated_at")
    list_filter = ("deployment",)
    search_fields = ("title", "label", "context_id")


@admin.register(LtiResourceLink)
class LtiResourceLinkAdmin(ReadOnlyAdmin):
    list_display = ("title", "resource_link_id", "context", "achievement", "deployment", "updated_at")
    list_filter = ("deployment",)
    search_fields = ("title", "resource_link_id")


@admin.register(LtiUser)
class LtiUserAdmin(ReadOnlyAdmin):
    list_display = ("sub", "name", "email", "platform", "learner", "last_launch_at")
    list_filter = ("platform",)
    search_fields = ("sub", "name", "email", "lis_person_sourcedid")


@admin.register(LtiLaunch)
class LtiLaunchAdmin(ReadOnlyAdmin):
    list_display = ("message_type", "deployment", "context", "user", "created_at", "expires_at")
    list_filter = ("message_type", "deployment")
    exclude = ("token_hash",)
