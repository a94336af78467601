"""
Keep derived data current when claims, sources or verdicts change (a
finished capture tells its claim's page itself, once the source points at
the new copy): the search vectors (in the same transaction) and the public
page cache (after commit, so that no reader can cache the old page under the
new version). A change to one claim dates its own page and the lists; a
change to what every claim page shows (parties, ratings, topics) dates all.
"""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from . import caching, search
from .models import Claim, Party, Rating, Source, Topic, VerdictChange


def every_page_changed():
    transaction.on_commit(caching.invalidate_public_pages)


# What a claim's search vector holds of the claim itself; its sources' part
# changes only with them.
SEARCHED_FIELDS = ("statement", "summary", "claimant_id", "language")


@receiver(pre_save, sender=Claim)
def on_claim_saving(sender, instance, raw=False, **kwargs):
    if not raw and instance.pk:
        saved = Claim.objects.filter(pk=instance.pk).values("slug", *SEARCHED_FIELDS)
        instance.saved_before = saved.first()


@receiver(post_save, sender=Claim)
def on_claim_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "saved_before", None) or {}
    # A rebuild stems the archived text of every source again: not for a
    # change of status or verdict, which a reviewer makes many of at once.
    if any(getattr(instance, name) != before.get(name) for name in SEARCHED_FIELDS):
        search.refresh([instance.pk])
    # The page under the old address goes too if the slug changes.
    caching.claims_changed_on_commit(instance.slug, before.get("slug"))


@receiver(post_delete, sender=Claim)
def on_claim_deleted(sender, instance, **kwargs):
    caching.claims_changed_on_commit(instance.slug)


@receiver(m2m_changed, sender=Claim.topics.through)
def on_topics_changed(sender, instance, **kwargs):
    if isinstance(instance, Claim):
        caching.claims_changed_on_commit(instance.slug)
    else:
        every_page_changed()


@receiver(pre_save, sender=Source)
def on_source_saving(sender, instance, raw=False, **kwargs):
    if not raw and instance.pk:
        instance.claim_before = (
            Source.objects.filter(pk=instance.pk)
            .values_list("claim_id", flat=True)
            .first()
        )
        # An edit of a claim's evidence is a change of the claim: a claim form
        # opened before it would put the old values back (ClaimAdminForm's
        # version). Before the source's row, in the order the claim form locks.
        claims = Claim.objects.filter(pk__in={instance.claim_id, instance.claim_before})
        claims.update(updated_at=timezone.now())


@receiver([post_save, post_delete], sender=Source)
def on_source_changed(sender, instance, raw=False, **kwargs):
    # Sources come in bursts (a claim's evidence is entered together), so
    # their claim's search vector is rebuilt once, shortly after. A source
    # moved to another claim leaves the first claim's page as well.
    if raw:
        return
    claim_ids = {instance.claim_id, getattr(instance, "claim_before", None)}
    slugs = dict(Claim.objects.filter(pk__in=claim_ids).values_list("pk", "slug"))
    for claim_id in slugs:
        search.refresh_soon(claim_id)
    caching.claims_changed_on_commit(*slugs.values())


@receiver([post_save, post_delete], sender=VerdictChange)
def on_verdict_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        caching.claims_changed_on_commit(Claim.objects.slug_of(instance.claim_id))


@receiver(pre_save, sender=Party)
def on_party_saving(sender, instance, raw=False, **kwargs):
    if not raw and instance.pk:
        names = Party.objects.filter(pk=instance.pk).values_list("name", flat=True)
        instance.name_before = names.first()


@receiver(post_save, sender=Party)
def on_party_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw:
        return
    if created:  # on no page yet
        caching.claims_changed_on_commit()
        return
    # Of a party, only the name is in its claims' search vectors.
    if instance.name != getattr(instance, "name_before", instance.name):
        search.refresh_in_batches(instance.claims_made.values_list("pk", flat=True))
    every_page_changed()


@receiver(post_delete, sender=Party)
@receiver([post_save, post_delete], sender=Rating)
@receiver([post_save, post_delete], sender=Topic)
def on_shared_change(sender, raw=False, **kwargs):
    """Names and labels that claim pages show: every page."""
    if not raw:
        every_page_changed()
