"""What the console's referral section sends: the program's settings form (built from the settings' own
declarations, chalicelib/store/shop_settings.py) and a pool's upload form, as text; chalicelib/console/referral.py
reads them into the change PATCH /shops/{id} makes and into the pool's codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, create_model

from chalicelib.store.shop_settings import ReferralSettings, console_rows


def form_name(path: tuple[str, ...]) -> str:
    """A setting's field in the form: its path from the group, joined (`friend_offer_value`)."""
    return "_".join(path)


class _CsrfForm(BaseModel):
    csrf: str = Field("", description="the token the console page put in the form")


def _referral_form() -> type[BaseModel]:
    fields: dict[str, Any] = {
        form_name(path): (str, Field("", description="present (any value) when checked") if kind == "bool" else "")
        for path, _, kind, _ in console_rows(ReferralSettings)
        if kind != "group"
    }
    return create_model(
        "ReferralSettingsForm",
        __base__=_CsrfForm,
        __doc__="The referral program's settings as the console's form sends them (text), each one's field named by "
        "its path in settings.referral (friend_offer_value is friend_offer.value).",
        **fields,
    )


if TYPE_CHECKING:
    ReferralSettingsForm = _CsrfForm
else:
    ReferralSettingsForm = _referral_form()


class CodesUploadForm(_CsrfForm):
    """Codes for one pool (the path names it): pasted, one a line, and/or a file of them (a form with a file is
    sent as multipart/form-data)."""

    codes: str = Field("", description="codes, one a line; a first line `code` is allowed")
    file: str = Field(
        "",
        description="a CSV or text file of codes, one a line (UTF-8, a first line `code` allowed), at most 1 MiB",
        json_schema_extra={"format": "binary"},
    )


DECISIONS_AT_ONCE = 100


class RewardsDecisionForm(_CsrfForm):
    """Approve or deny the held rewards ticked in the referral section's ledger, all at once."""

    action: Literal["approve", "deny"] = Field(description="what to do with every reward named")
    ids: list[str] = Field(
        default_factory=list,
        max_length=DECISIONS_AT_ONCE,
        description=f"the rewards (`rw_...`), at most {DECISIONS_AT_ONCE}",
    )
