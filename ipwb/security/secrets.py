"""Which Odoo models and fields hold secrets: never copied out of Odoo, whatever the rights.

An extraction (the ``odoo_extract`` step kind, a scaffolded domain) runs with its pipeline
owner's rights, but some data must never reach the warehouse even when that owner may read
it: system parameters (``database.secret``), API keys, passwords, mail server credentials,
payment and authentication provider secrets. The rule is structural, not a substring
search:

* a **model** is refused when it is technical (``ir.*``), or listed in
  :data:`SECRET_MODELS`, or starts with a prefix of :data:`SECRET_MODEL_PREFIXES`
  (``res.users.apikeys``, ``res.users.apikeys.description``, …);
* a **field** is refused when one of its ``_``-separated *words* is a secret word
  (:data:`SECRET_WORDS`: ``password``, ``token``, ``key``, ``secret``, ``totp``, …) or the
  whole name is in :data:`SECRET_FIELDS` (``api_key``, ``signup_token`` are covered by the
  words; the list holds names whose words alone are harmless), or when its ``groups``
  name an administrator group (:data:`ADMIN_GROUPS`).

>>> secret_model_problem("ir.config_parameter")
'ir.config_parameter is a technical model (ir.*): it is never extracted'
>>> secret_model_problem("res.users.apikeys")
'res.users.apikeys holds secrets: it is never extracted'
>>> secret_model_problem("res.partner") is None
True
>>> secret_field_problem("res.users", "password")
'res.users.password holds a secret (password): it is never extracted'
>>> secret_field_problem("res.partner", "api_key")
'res.partner.api_key holds a secret (key): it is never extracted'
>>> secret_field_problem("res.partner", "keyword_ids") is None
True
>>> secret_field_problem("res.company", "vat", groups="base.group_system,base.group_user")
'res.company.vat is restricted to base.group_system: it is never extracted'
>>> secret_extraction_problems("res.partner", ["name", "x_token"])
['res.partner.x_token holds a secret (token): it is never extracted']
"""

from __future__ import annotations

from collections.abc import Iterable

#: models holding secrets or credentials (besides every ``ir.*`` model)
SECRET_MODELS: frozenset[str] = frozenset(
    {
        "res.users.apikeys",
        "res.users.apikeys.description",
        "res.users.identitycheck",
        "res.users.deletion",
        "auth_totp.device",
        "auth.totp.device",
        "auth.oauth.provider",
        "auth.passkey.key",
        "fetchmail.server",
        "iap.account",
        "payment.provider",
        "payment.token",
        "payment.transaction",
        "sms.account",
        "mail.alias.domain",
        "google.gmail.mixin",
        "microsoft.outlook.mixin",
        "base.module.install.request",
    }
)
#: the technical models' prefix: every ``ir.*`` model is refused
TECHNICAL_PREFIX = "ir"
#: model names refused with every model below them (whole dotted segments)
SECRET_MODEL_PREFIXES: tuple[str, ...] = ("res.users.apikeys", "auth", "payment", "iap", "fetchmail")
#: words of a field name that mark a secret (the name is split on ``_``)
SECRET_WORDS: frozenset[str] = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "secret",
        "secrets",
        "token",
        "tokens",
        "key",
        "keys",
        "apikey",
        "apikeys",
        "credential",
        "credentials",
        "totp",
        "otp",
        "pin",
        "signature",
        "salt",
        "certificate",
        "cert",
        "passphrase",
    }
)
#: whole field names refused although none of their words is secret
SECRET_FIELDS: frozenset[str] = frozenset({"oauth_access_token", "new_password", "signup_url"})
#: field groups that make a field administrators-only
ADMIN_GROUPS: frozenset[str] = frozenset({"base.group_system", "base.group_erp_manager"})


def _words(name: str) -> list[str]:
    return [word for word in name.lower().split("_") if word]


def secret_model_problem(model: str) -> str | None:
    """Why ``model`` may never be extracted, or None.

    >>> secret_model_problem("payment.provider")
    'payment.provider holds secrets: it is never extracted'
    >>> secret_model_problem("ir.mail_server")
    'ir.mail_server is a technical model (ir.*): it is never extracted'
    >>> secret_model_problem("irrigation.plan") is None
    True
    """
    name = (model or "").strip().lower()
    if name.split(".", 1)[0] == TECHNICAL_PREFIX:
        return f"{name} is a technical model ({TECHNICAL_PREFIX}.*): it is never extracted"
    if name in SECRET_MODELS or any(
        name == prefix or name.startswith(prefix + ".") for prefix in SECRET_MODEL_PREFIXES
    ):
        return f"{name} holds secrets: it is never extracted"
    return None


def secret_field_problem(model: str, field: str, groups: str | None = None) -> str | None:
    """Why ``model.field`` may never be extracted, or None.

    ``groups`` is the field's comma-separated ``groups`` attribute (xml ids), if any.

    >>> secret_field_problem("res.partner", "name") is None
    True
    >>> secret_field_problem("res.users", "totp_secret")
    'res.users.totp_secret holds a secret (totp): it is never extracted'
    >>> secret_field_problem("hr.employee", "pin")
    'hr.employee.pin holds a secret (pin): it is never extracted'
    >>> secret_field_problem("res.partner", "spinner") is None
    True
    """
    name = (field or "").strip()
    words = _words(name)
    hit = next((word for word in words if word in SECRET_WORDS), None)
    if hit is not None:
        return f"{model}.{name} holds a secret ({hit}): it is never extracted"
    if name.lower() in SECRET_FIELDS:
        return f"{model}.{name} holds a secret: it is never extracted"
    for group in (g.strip() for g in (groups or "").split(",")):
        if group in ADMIN_GROUPS:
            return f"{model}.{name} is restricted to {group}: it is never extracted"
    return None


def secret_extraction_problems(
    model: str, fields: Iterable[str], groups: dict[str, str] | None = None
) -> list[str]:
    """Every reason the extraction of ``fields`` of ``model`` is refused (empty: allowed).

    ``groups`` maps a field name to its ``groups`` attribute when the caller knows it.

    >>> secret_extraction_problems("ir.config_parameter", ["key", "value"])
    ['ir.config_parameter is a technical model (ir.*): it is never extracted']
    >>> secret_extraction_problems("account.move", ["name", "amount_total"])
    []
    """
    model_problem = secret_model_problem(model)
    if model_problem is not None:
        return [model_problem]
    known = groups or {}
    problems = []
    for field in fields:
        problem = secret_field_problem(model, field, known.get(field))
        if problem is not None:
            problems.append(problem)
    return problems
