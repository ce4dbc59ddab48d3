"""N29: read every page of AGS / NRPS collections from the Link header (RFC 8288 §3).

Real headers come from the Moodle 5.1 recordings and from lti1p3platform's paging code; the rest are
the RFC forms pylti1p3 2.0.0 gets wrong (lower-casing, quoted ``rel`` only).
"""

from __future__ import annotations

import json

import pytest
from lti1p3platform.response import generate_next_link

from lti_tool.lti.links import links, next_page_url
from tests.fixtures import MOODLE_FIXTURES

MOODLE = MOODLE_FIXTURES / "lti"


def moodle_response(name: str) -> dict:
    return json.loads((MOODLE / name).read_text())


def test_moodle_line_items_with_typographic_quotes_and_html_escaped_urls():
    recorded = moodle_response("ags/lineitems.get.paged_limit1.json")
    header = recorded["response"]["headers"]["Link"]
    assert "rel=“next”" in header and "&amp;" in header  # the quirks this test is about
    assert next_page_url(header) == "http://127.0.0.1:8500/mod/lti/services.php/2/lineitems?type_id=1&limit=1&from=1"
    assert links(header) == {
        "first": "http://127.0.0.1:8500/mod/lti/services.php/2/lineitems?type_id=1&limit=1&from=0",
        "canonical": "http://127.0.0.1:8500/mod/lti/services.php/2/lineitems?type_id=1&limit=1&from=0",
        "next": "http://127.0.0.1:8500/mod/lti/services.php/2/lineitems?type_id=1&limit=1&from=1",
        "last": "http://127.0.0.1:8500/mod/lti/services.php/2/lineitems?type_id=1&limit=1&from=2",
    }


def test_moodle_line_items_page_two_has_no_next_page():
    recorded = moodle_response("ags/lineitems.get.paged_limit1_from1.json")
    header = recorded["response"]["headers"]["Link"]
    # The next page is the one the first page pointed at: following the links reads both items.
    first = moodle_response("ags/lineitems.get.paged_limit1.json")
    assert next_page_url(first["response"]["headers"]["Link"]) == recorded["request"]["url"]
    assert next_page_url(header) is None
    assert set(links(header)) == {"first", "prev", "canonical", "last"}


def test_moodle_memberships_standard_header():
    recorded = moodle_response("nrps/memberships.get.limit2.json")
    header = recorded["response"]["headers"]["Link"]
    assert next_page_url(header) == (
        "http://127.0.0.1:8500/mod/lti/services.php/CourseSection/2/bindings/1/memberships?limit=2&from=2")


def test_lti1p3platform_unquoted_rel():
    # lti1p3platform's framework responses write exactly this form (research lti.md §6.1).
    url = "https://lms.example/api/lti/courses/7/line_items?page=2&Token=AbCdEf"
    header = generate_next_link(url)
    assert header == f"<{url}>; rel=next"
    assert next_page_url(header) == url


@pytest.mark.parametrize(("header", "expected"), [
    pytest.param('<https://LMS.example/Items?Page=Two>; rel="next"', "https://LMS.example/Items?Page=Two",
                 id="mixed-case URL kept"),
    pytest.param('<https://a.example/1>; rel="prev", <https://a.example/3>; rel="next"', "https://a.example/3",
                 id="several links"),
    pytest.param('<https://a.example/p?x=1>; title="Page, two; of 9"; rel="next"', "https://a.example/p?x=1",
                 id="comma and semicolon inside a quoted parameter"),
    pytest.param('<https://a.example/p?q=a,b;c=d>; rel=next', "https://a.example/p?q=a,b;c=d",
                 id="comma and semicolon inside the URL"),
    pytest.param('  <https://a.example/p2>  ;  rel = "next"  ,<https://a.example/p9>;rel=last',
                 "https://a.example/p2", id="whitespace everywhere"),
    pytest.param('<https://a.example/p9>; rel="next last"', "https://a.example/p9", id="several relation types"),
    pytest.param('<https://a.example/p2>; REL="NEXT"', "https://a.example/p2", id="case-insensitive rel"),
    pytest.param('<https://a.example/p2>; rel="next"; rel="prev"', "https://a.example/p2", id="first rel counts"),
    pytest.param('<https://a.example/p2>; rel="nextish"', None, id="no next"),
    pytest.param('<https://a.example/p1>; rel="prev"; title="say \\"next\\""', None, id="escaped quotes"),
    pytest.param('garbage, <https://a.example/p2>; rel=next', "https://a.example/p2", id="bad link-value skipped"),
    pytest.param('<https://a.example/p2>', None, id="no parameters"),
    pytest.param('', None, id="empty"),
    pytest.param(None, None, id="absent"),
    pytest.param('<https://a.example/p2; rel=next', None, id="unterminated URL"),
])
def test_next_page_url(header, expected):
    assert next_page_url(header) == expected


def test_relative_reference_resolved_against_the_request_url():
    header = '</api/items?page=3>; rel="next"'
    assert next_page_url(header) == "/api/items?page=3"
    assert next_page_url(header, base="https://lms.example/api/items?page=2") == "https://lms.example/api/items?page=3"


def test_links_lists_every_relation_of_a_multi_valued_rel():
    header = '<https://a.example/p1>; rel="first prev", <https://a.example/p9>; rel="next last"'
    assert links(header) == {"first": "https://a.example/p1", "prev": "https://a.example/p1",
                             "next": "https://a.example/p9", "last": "https://a.example/p9"}
