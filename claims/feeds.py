"""RSS and Atom feeds of new and changed verdicts: site-wide, per topic, per
party and per claim."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Exists, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from .claimreview import absolute
from .filters import public_parties, public_topics
from .models import Claim, Rating, Source, VerdictChange, plain_text

FEED_LENGTH = 50


def xml_safe(value):
    """Without what XML 1.0 cannot carry, which Django's feed writer refuses:
    one vertical tab in a statement saved before the forms dropped them
    would otherwise fail every feed it is in."""
    return plain_text(value) if isinstance(value, str) else value


# The verdict the public saw before a change of the same claim: not its
# `previous_rating`, which may be a draft's.
shown_before = VerdictChange.objects.filter(
    Q(published_at__lt=OuterRef("published_at"))
    | Q(published_at=OuterRef("published_at"), pk__lt=OuterRef("pk")),
    claim=OuterRef("claim"),
).order_by("-published_at", "-id")


class VerdictFeed(Feed):
    """Links are built on SITE_URL, not on the request's Host: feeds are cached
    once for every host."""

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        feed.feed["feed_url"] = absolute(request.path)
        feed.feed = {key: xml_safe(value) for key, value in feed.feed.items()}
        feed.items = [
            {key: xml_safe(value) for key, value in item.items()} for item in feed.items
        ]
        return feed

    # Atom requires an author of the feed (or of every entry) and an
    # `updated` date on every entry.
    def author_name(self, obj=None):
        return settings.PUBLISHER_NAME

    def author_link(self, obj=None):
        return settings.PUBLISHER_URL

    def title(self, obj=None):
        return _("%(site)s: new and changed verdicts") % {"site": settings.SITE_NAME}

    def description(self, obj=None):
        return _("Each time a published fact-check gets a new verdict.")

    def link(self, obj=None):
        return absolute(reverse("claims:claim_list"))

    def changes(self, obj):
        """The verdicts the public saw (Claim.public_history), when it saw them."""
        return VerdictChange.objects.filter(
            claim__status__in=Claim.PUBLIC_STATUSES, published_at__isnull=False
        )

    def items(self, obj=None):
        changes = list(
            self.changes(obj)
            .select_related("claim__claimant", "rating")
            .annotate(shown_before_id=Subquery(shown_before.values("rating")[:1]))
            .order_by("-published_at", "-id")[:FEED_LENGTH]
        )
        ratings = Rating.objects.in_bulk({change.shown_before_id for change in changes})
        for change in changes:
            change.public_previous_rating = ratings.get(change.shown_before_id)
        return changes

    def item_title(self, change):
        return f"{change.rating.label}: {Truncator(change.claim.statement).chars(120)}"

    def item_description(self, change):
        """HTML, as RSS descriptions and Atom summaries are read: the text
        escaped, its lines kept apart."""
        previous = change.public_previous_rating
        before = previous.label if previous else _("none")
        text = _(
            "%(claimant)s claims: %(statement)s\n"
            "Verdict: %(new)s (was: %(old)s)\n%(note)s"
        ) % {
            "claimant": change.claim.claimant.name,
            "statement": change.claim.statement,
            "new": change.rating.label,
            "old": before,
            "note": change.note,
        }
        return linebreaksbr(text, autoescape=True)

    def item_link(self, change):
        return absolute(f"{change.claim.get_absolute_url()}#verdict-{change.pk}")

    def item_pubdate(self, change):
        return change.published_at

    def item_updateddate(self, change):
        return change.published_at


class TopicVerdictFeed(VerdictFeed):
    def get_object(self, request, slug):
        # Only topics of public claims: a draft's topic must not get a feed.
        return get_object_or_404(public_topics(), slug=slug)

    def title(self, topic):
        return _("Verdicts on %(topic)s") % {"topic": topic.name}

    def link(self, topic):
        return absolute(f"{reverse('claims:claim_list')}?topic={topic.slug}")

    def changes(self, topic):
        return super().changes(topic).filter(claim__topics=topic)


class PartyVerdictFeed(VerdictFeed):
    def get_object(self, request, slug):
        return get_object_or_404(public_parties(), slug=slug)

    def title(self, party):
        return _("Verdicts on claims involving %(party)s") % {"party": party.name}

    def link(self, party):
        return absolute(f"{reverse('claims:claim_list')}?party={party.slug}")

    def changes(self, party):
        cited = Source.objects.filter(claim=OuterRef("claim"), party=party)
        return super().changes(party).filter(Q(claim__claimant=party) | Exists(cited))


class ClaimVerdictFeed(VerdictFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Claim.objects.public(), slug=slug)

    def title(self, claim):
        return _("Verdict history: %(statement)s") % {
            "statement": Truncator(claim.statement).chars(100)
        }

    def link(self, claim):
        return absolute(claim.get_absolute_url())

    def changes(self, claim):
        return super().changes(claim).filter(claim=claim)


def atom(feed_class):
    return type(f"Atom{feed_class.__name__}", (feed_class,), {"feed_type": Atom1Feed})
