"""URL routes for the launch benchmark: the tool's own routes plus the bare pylti1p3 reference under /ref/."""

from django.urls import path

from benchmarks import lti_reference
from lti_tool.urls import urlpatterns as tool_urlpatterns

urlpatterns = [
    *tool_urlpatterns,
    path("ref/login", lti_reference.login, name="ref-login"),
    path("ref/launch", lti_reference.launch, {"cache_key_set": True}, name="ref-launch"),
    path("ref/launch-uncached", lti_reference.launch, {"cache_key_set": False}, name="ref-launch-uncached"),
    path("ref/page", lti_reference.page, name="ref-page"),
]
