"""The secret denylist of ``ipwb.security.secrets``: models and fields never extracted."""

import doctest

import pytest

from ipwb.security import secrets
from ipwb.security.secrets import (
    SECRET_MODELS,
    SECRET_WORDS,
    secret_extraction_problems,
    secret_field_problem,
    secret_model_problem,
)


def test_doctests() -> None:
    result = doctest.testmod(secrets)
    assert result.attempted > 10
    assert result.failed == 0


@pytest.mark.parametrize(
    "model",
    [
        "ir.config_parameter",
        "ir.mail_server",
        "ir.attachment",
        "ir.cron",
        "res.users.apikeys",
        "res.users.apikeys.description",
        "fetchmail.server",
        "iap.account",
        "payment.provider",
        "payment.token",
        "auth.oauth.provider",
        " IR.Config_Parameter ",
    ],
)
def test_secret_models_are_refused(model: str) -> None:
    problem = secret_model_problem(model)
    assert problem is not None
    assert model.strip().lower() in problem


@pytest.mark.parametrize(
    "model", ["res.partner", "account.move", "hr.expense", "res.company", "iris.flower", "irrigation.plan"]
)
def test_business_models_are_allowed(model: str) -> None:
    assert secret_model_problem(model) is None


@pytest.mark.parametrize(
    ("field", "word"),
    [
        ("password", "password"),
        ("new_password", "password"),
        ("totp_secret", "totp"),
        ("api_key", "key"),
        ("apikey", "apikey"),
        ("x_stripe_secret_key", "secret"),
        ("signup_token", "token"),
        ("access_token", "token"),
        ("oauth_credentials", "credentials"),
        ("pin", "pin"),
        ("signature", "signature"),
        ("otp", "otp"),
        ("Password", "password"),
    ],
)
def test_secret_fields_are_refused_by_word(field: str, word: str) -> None:
    problem = secret_field_problem("res.partner", field)
    assert problem == f"res.partner.{field} holds a secret ({word}): it is never extracted"


@pytest.mark.parametrize(
    "field",
    ["name", "keyword", "keyword_ids", "spinner", "tokenizer_name", "monkey", "pinned", "amount_total"],
)
def test_words_not_substrings(field: str) -> None:
    """A secret word must be a whole word of the name: 'keyword', 'monkey', 'pinned' pass."""
    assert secret_field_problem("res.partner", field) is None


def test_admin_only_fields_are_refused() -> None:
    assert secret_field_problem("res.company", "x", groups="base.group_erp_manager") is not None
    assert secret_field_problem("res.company", "x", groups="base.group_user") is None


def test_problems_list_every_secret_field_once_model_first() -> None:
    assert secret_extraction_problems("res.users", ["login", "password", "totp_secret"]) == [
        "res.users.password holds a secret (password): it is never extracted",
        "res.users.totp_secret holds a secret (totp): it is never extracted",
    ]
    assert secret_extraction_problems("ir.config_parameter", ["value"]) == [
        "ir.config_parameter is a technical model (ir.*): it is never extracted"
    ]
    assert secret_extraction_problems("res.partner", ["email"], {"email": "base.group_system"}) == [
        "res.partner.email is restricted to base.group_system: it is never extracted"
    ]


def test_denylist_is_frozen_data() -> None:
    assert isinstance(SECRET_MODELS, frozenset)
    assert isinstance(SECRET_WORDS, frozenset)
    assert "ir.config_parameter" not in SECRET_MODELS  # covered by the ir.* rule
