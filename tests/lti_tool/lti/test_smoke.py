from urllib.parse import parse_qs, urlsplit

from .platforms import INSTRUCTOR


def test_learner_launch_lands_on_the_badge_page(client, deployment, platform):
    result = platform.launch(client)
    assert result.response.status_code == 303, result.response.content[:500]
    landing = result.response["Location"]
    assert "/lti/badge?lt=" in landing
    page = client.get(landing.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert b"No badge here yet" in page.content


def test_instructor_deep_linking_launch_opens_the_picker(client, deployment, platform):
    result = platform.launch(client, roles=[INSTRUCTOR], message_type="LtiDeepLinkingRequest", resource_link=None)
    assert result.response.status_code == 303, result.response.content[:800]
    token = parse_qs(urlsplit(result.response["Location"]).query)["lt"][0]
    page = client.get("/lti/deep-link", {"lt": token})
    assert b"Place a badge in this course" in page.content


def test_replay_is_refused(client, deployment, platform):
    result = platform.launch(client)
    assert result.response.status_code == 303
    again = client.post("/lti/launch", {"id_token": result.token, "state": parse_qs(
        urlsplit(result.login["Location"]).query)["state"][0]})
    assert again.status_code == 401 and b"replay" in again.content


def test_missing_cookie_offers_a_new_window(client, deployment, platform):
    result = platform.launch(client, cookie=False)
    assert result.response.status_code == 401
    assert b"Open Accolade in a new window" in result.response.content
