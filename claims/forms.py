from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import permissions, services
from .models import Claim, Rating, Source, plain_text, translated_language_name


class PlainTextForm(forms.ModelForm):
    """A desk form whose texts are saved as plain text (models.plain_text): a
    vertical tab pasted from a word processor had made every feed of the
    claim a 500, and a party's or topic's name shows on every page of it."""

    def clean(self):
        self.cleaned_data = {
            name: plain_text(value) if isinstance(value, str) else value
            for name, value in super().clean().items()
        }
        return self.cleaned_data


def not_in_the_future(day):
    """A day something was said or published: not one still to come (a
    mistyped year, 2052 for 2025, would sort the claim first for decades)."""
    if day and day > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future")
    return day


class ClaimAdminForm(PlainTextForm):
    """The claim form in the admin, with a review section for those who may use it.

    `user` decides which of the review fields exist: a reviewer gets a verdict and
    a note, anyone who may edit gets the workflow moves open to them. The same
    checks run again in the services when the form is saved.
    """

    new_rating = forms.ModelChoiceField(
        Rating.objects.all(), label=_("New verdict"), required=False
    )
    verdict_note = forms.CharField(
        label=_("Reviewer's note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required with a new verdict; shown on the public timeline."),
    )
    new_status = forms.ChoiceField(label=_("Move to"), required=False)
    # The claim as the form was opened: a save over someone else's newer save
    # is refused rather than silently undoing it (the admin locks the row
    # while it compares, so two saves at once cannot both pass).
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Claim
        fields = [
            "statement",
            "slug",
            "language",
            "claimant",
            "first_made_on",
            "first_appearance_url",
            "topics",
            "summary",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if "language" in self.fields:
            self.fields["language"].choices = language_choices(
                self.fields["language"].choices
            )
        if self.instance.pk:
            self.fields["version"].initial = claim_version(self.instance)
        if not permissions.can_review(user):
            del self.fields["new_rating"]
            del self.fields["verdict_note"]
        statuses = permissions.allowed_statuses(user, self.instance)
        if statuses:
            keep = _("— keep “%s” —") % self.instance.get_status_display()
            self.fields["new_status"].choices = [("", keep)] + [
                (status, Claim.Status(status).label) for status in statuses
            ]
        else:
            del self.fields["new_status"]

    def clean_first_made_on(self):
        return not_in_the_future(self.cleaned_data.get("first_made_on"))

    def clean(self):
        cleaned = super().clean()
        loaded = cleaned.get("version")
        if self.instance.pk and loaded and loaded != claim_version(self.instance):
            raise ValidationError(
                _(
                    "Someone else saved this claim after you opened it, so your "
                    "changes were not saved (they would have undone theirs). Copy "
                    "what you want to keep, reload the page and make your "
                    "changes again."
                ),
                code="stale",
            )
        rating = cleaned.get("new_rating")
        note = cleaned.get("verdict_note", "")
        if rating or note.strip():
            services.check_verdict(rating=rating, note=note)
        status = cleaned.get("new_status")
        if status:
            try:
                services.check_status_change(
                    claim=self.instance,
                    user=self.user,
                    status=status,
                    rating=rating or self.instance.rating,
                    summary=cleaned.get("summary", ""),
                )
            except PermissionDenied as error:
                raise ValidationError({"new_status": str(error)}) from None
            except ValidationError as error:
                raise ValidationError({"new_status": error.messages}) from None
        elif (
            "summary" in self.fields
            and self.instance.status in (Claim.Status.PUBLISHED, Claim.Status.UPDATED)
            and not cleaned.get("summary", "").strip()
        ):
            # Publishing needs a summary; so does staying published.
            self.add_error(
                "summary",
                _("A published claim needs a public summary; it cannot be removed."),
            )
        return cleaned


def language_choices(choices):
    """The statement's language choices named in the desk's language (Django's
    names are English), in the order of those names; the blank choice first."""
    blank = [(code, name) for code, name in choices if code == ""]
    named = [(code, translated_language_name(code)) for code, _name in choices if code]
    return blank + sorted(named, key=lambda choice: choice[1])


def claim_version(claim):
    """What the form compares to tell whether the claim was saved meanwhile:
    every save through the admin, every workflow or verdict change and every
    edit of one of its sources (signals.on_source_saving) sets `updated_at`."""
    return claim.updated_at.isoformat() if claim.updated_at else ""


class SourceForm(PlainTextForm):
    """A cited source as the desk enters it: a link the workers can archive
    (the URL field takes ftp:// as well, whose capture could only fail,
    later and out of sight), published on a day that has come."""

    class Meta:
        model = Source
        fields = [
            "claim",
            "url",
            "party",
            "stance",
            "title",
            "publisher",
            "published_on",
            "quote",
        ]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise ValidationError(
                _("Only web links (http:// or https://) can be archived."),
                code="scheme",
            )
        return url

    def clean_claim(self):
        claim = self.cleaned_data["claim"]
        moved = self.instance.pk and claim.pk != self.instance.claim_id
        if moved and self.instance.shares_stored_copies():
            raise ValidationError(
                _(
                    "This source's archived copies are stored with those of "
                    "another source of its claim, so it cannot move to another "
                    "claim. Cite the link on that claim instead: it is archived "
                    "afresh there."
                ),
                code="shared_copies",
            )
        return claim

    def clean_published_on(self):
        return not_in_the_future(self.cleaned_data.get("published_on"))


class AsOfForm(forms.Form):
    """The date a reader picks to see the verdict in force on that day."""

    as_of = forms.DateField(
        label=_("Verdict as of"), widget=forms.DateInput(attrs={"type": "date"})
    )
