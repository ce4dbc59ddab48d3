import pytest

from lti_tool.models import Learner
from lti_tool.services.errors import ServiceError
from lti_tool.services.learners import learner_find_or_create


def test_same_email_finds_same_learner_case_insensitively(db):
    first = learner_find_or_create(email="Ana@Example.edu", source="csv")
    again = learner_find_or_create(email="ana@example.edu", sis_id="S9", name="Ana", source="csv")
    assert first.pk == again.pk
    assert {i.kind for i in again.identities.all()} == {"emailAddress", "sisSourcedId"}


def test_identifiers_of_two_people_are_refused(db):
    learner_find_or_create(email="a@x.edu", source="t")
    learner_find_or_create(sis_id="S2", source="t")
    with pytest.raises(ServiceError, match="two different learners"):
        learner_find_or_create(email="a@x.edu", sis_id="S2", source="t")
    assert Learner.objects.count() == 2


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "a b@c.edu"])
def test_malformed_email_is_refused(db, email):
    with pytest.raises(ServiceError, match="not an email"):
        learner_find_or_create(email=email, source="t")


def test_some_identifier_is_required(db):
    with pytest.raises(ServiceError, match="needs an email"):
        learner_find_or_create(name="Nobody", source="t")
