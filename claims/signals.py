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

from . import caching, search
from .models import Claim, Party, Rating, Source, Topic, VerdictChange


def claim_pages_changed(*slugs):
    """After commit: these claims' pages and every list are out of date."""
    transaction.on_commit(lambda: caching.claims_changed(*slugs))


def every_page_changed():
    transaction.on_commit(caching.invalidate_public_pages)


def slug_of(claim_id):
    return Claim.objects.filter(pk=claim_id).values_list("slug", flat=True).first()


@receiver(pre_save, sender=Claim)
def on_claim_saving(sender, instance, raw=False, **kwargs):
    # The page under the old address goes too if the slug changes.
    if not raw and instance.pk:
        instance.slug_before = slug_of(instance.pk)


@receiver(post_save, sender=Claim)
def on_claim_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        search.refresh([instance.pk])
        claim_pages_changed(instance.slug, getattr(instance, "slug_before", None))


@receiver(post_delete, sender=Claim)
def on_claim_deleted(sender, instance, **kwargs):
    claim_pages_changed(instance.slug)


@receiver(m2m_changed, sender=Claim.topics.through)
def on_topics_changed(sender, instance, **kwargs):
    if isinstance(instance, Claim):
        claim_pages_changed(instance.slug)
    else:
        every_page_changed()


@receiver(pre_save, sender=Source)
def on_source_saving(sender, instance, raw=False, **kwargs):
    # A source moved to another claim leaves the first claim's page as well.
    if not raw and instance.pk:
        instance.claim_before = (
            Source.objects.filter(pk=instance.pk)
            .values_list("claim_id", flat=True)
            .first()
        )


@receiver([post_save, post_delete], sender=Source)
def on_source_changed(sender, instance, raw=False, **kwargs):
    # Sources come in bursts (a claim's evidence is entered together), so
    # their claim's search vector is rebuilt once, shortly after.
    if raw:
        return
    slug = slug_of(instance.claim_id)
    if slug:
        search.refresh_soon(instance.claim_id)
    before = getattr(instance, "claim_before", instance.claim_id)
    if before != instance.claim_id:
        search.refresh_soon(before)
        claim_pages_changed(slug, slug_of(before))
    elif slug:
        claim_pages_changed(slug)


@receiver([post_save, post_delete], sender=VerdictChange)
def on_verdict_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        claim_pages_changed(slug_of(instance.claim_id))


@receiver(post_save, sender=Party)
def on_party_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw:
        return
    if created:  # on no page yet
        claim_pages_changed()
        return
    search.refresh(list(instance.claims_made.values_list("pk", flat=True)))
    every_page_changed()


@receiver(post_delete, sender=Party)
@receiver([post_save, post_delete], sender=Rating)
@receiver([post_save, post_delete], sender=Topic)
def on_shared_change(sender, raw=False, **kwargs):
    """Names and labels that claim pages show: every page."""
    if not raw:
        every_page_changed()
