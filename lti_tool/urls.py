"""URL routes of the tool service. Public ids are UUIDs; names are used by the local resolver."""

from django.contrib import admin
from django.urls import path

from .demo import lms as demo_lms
from .views import api, api_adapters, documents, images, lti, lti_evidence, lti_pages, lti_registration, pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("verify", pages.verify_page, name="verify"),
    path("api/v1/verify", api.verify, name="api-verify"),
    path("api/v1/openapi.json", api_adapters.openapi, name="api-openapi"),
    path("api/v1/oauth/token", api_adapters.token, name="api-token"),
    path("api/v1/facts", api_adapters.facts, name="api-facts"),
    path("api/v1/courses/<str:context_id>/badges", api_adapters.course_badges, name="api-course-badges"),
    path("api/v1/courses/<str:context_id>/learners/<str:sub>/badges", api_adapters.learner_badges,
         name="api-learner-badges"),
    path("issuers/<uuid:issuer_uuid>", pages.issuer_page, name="issuer"),
    path("issuers/<uuid:issuer_uuid>/keys/<str:key_name>", documents.issuer_key, name="issuer-key"),
    path("issuers/<uuid:issuer_uuid>/did.json", documents.issuer_did, name="issuer-did"),
    path("issuers/<uuid:issuer_uuid>/jwks", documents.issuer_jwks, name="issuer-jwks"),
    path(".well-known/jwks.json", documents.service_jwks, name="service-jwks"),
    path("achievements/<uuid:achievement_uuid>", pages.achievement_page, name="achievement"),
    path("credentials/<uuid:award_uuid>", pages.credential_page, name="credential"),
    path("credentials/<uuid:award_uuid>/credential.jwt", pages.credential_jwt, name="credential-jwt"),
    path("credentials/<uuid:award_uuid>/badge.<str:extension>", images.baked_badge, name="credential-badge"),
    path("status/<uuid:list_uuid>", documents.status_list, name="status-list"),
    path("images/<uuid:image_uuid>.<str:extension>", images.stored_image, name="image"),
    path("ob2/issuers/<uuid:issuer_uuid>", documents.ob2_issuer, name="ob2-issuer"),
    path("ob2/issuers/<uuid:issuer_uuid>/keys/<str:key_name>", documents.ob2_key, name="ob2-key"),
    path("ob2/issuers/<uuid:issuer_uuid>/revocations", documents.ob2_revocations, name="ob2-revocations"),
    path("ob2/badges/<uuid:achievement_uuid>", documents.ob2_badge, name="ob2-badge"),
    path("ob2/assertions/<uuid:award_uuid>", documents.ob2_assertion, name="ob2-assertion"),
    path("ob2/assertions/<uuid:award_uuid>/badge.<str:extension>", images.baked_badge, {"ob_version": "2.0"},
         name="ob2-assertion-badge"),
    path("lti/login", lti.login, name="lti-login"),
    path("lti/launch", lti.launch, name="lti-launch"),
    path("lti/jwks", lti.jwks, name="lti-jwks"),
    path("lti/badge", lti_pages.badge_page, name="lti-badge"),
    path("lti/deep-link", lti_pages.deep_link, name="lti-deep-link"),
    path("lti/evidence", lti_evidence.evidence_submit_view, name="lti-evidence"),
    path("lti/evidence/file", lti_evidence.evidence_file, name="lti-evidence-file"),
    path("lti/review", lti_evidence.review, name="lti-review"),
    path("lti/register", lti_registration.register, name="lti-register"),
    path("lti/logo.svg", lti_registration.tool_logo, name="lti-logo"),
    path("demo-lms/", demo_lms.course, name="demo-lms"),
    path("demo-lms/jwks", demo_lms.jwks, name="demo-lms-jwks"),
    path("demo-lms/auth", demo_lms.authorize, name="demo-lms-auth"),
    path("demo-lms/deep-link-return", demo_lms.deep_link_return, name="demo-lms-deep-link-return"),
    path("admin/", admin.site.urls),
]
