"""
Keep derived data current when claims, sources or verdicts change (captures
call claim_changed themselves, once the source points at the new copy):
the search vectors (in the same transaction) and the public page cache (after
commit, so that no reader can cache the old page under the new version).
"""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from . import caching, search
from .models import Claim, Party, Rating, Source, Topic, VerdictChange


def claim_changed(claim_id):
    search.refresh([claim_id])
    transaction.on_commit(caching.invalidate_public_pages)


@receiver(post_save, sender=Claim)
def on_claim_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        claim_changed(instance.pk)


@receiver(m2m_changed, sender=Claim.topics.through)
def on_topics_changed(sender, instance, **kwargs):
    if isinstance(instance, Claim):
        transaction.on_commit(caching.invalidate_public_pages)


@receiver([post_save, post_delete], sender=Source)
def on_source_changed(sender, instance, raw=False, **kwargs):
    # Sources come in bursts (a claim's evidence is entered together), so
    # their claim's search vector is rebuilt once, shortly after.
    if not raw and Claim.objects.filter(pk=instance.claim_id).exists():
        search.refresh_soon(instance.claim_id)
        transaction.on_commit(caching.invalidate_public_pages)


@receiver(post_save, sender=Party)
def on_party_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        search.refresh(list(instance.claims_made.values_list("pk", flat=True)))
        transaction.on_commit(caching.invalidate_public_pages)


@receiver([post_save, post_delete], sender=VerdictChange)
@receiver(post_delete, sender=Party)
@receiver([post_save, post_delete], sender=Rating)
@receiver([post_save, post_delete], sender=Topic)
def on_other_change(sender, raw=False, **kwargs):
    if not raw:
        transaction.on_commit(caching.invalidate_public_pages)
