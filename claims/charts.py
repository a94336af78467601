"""Two pictures for the claim list: published claims by verdict, and how
verdicts moved month by month.

The months' columns are placed in percentages of the chart's width, with
heights and type in pixels, so that the month names stay 11 pixels tall at
any width (a drawing scaled to a phone's width drew them at 5).
"""

from django.db.models import Count, Max
from django.db.models.functions import TruncMonth
from django.utils import timezone

from .models import Claim, Rating, VerdictChange

BAR_WIDTH = 360
MONTHS = 12
COLUMN_HEIGHT = 120
LABELS_HEIGHT = 34  # the month's name and, under some, the year


def figures():
    """Both charts' data; cached per version of the public pages."""
    ratings = list(Rating.objects.all())
    return verdict_counts(ratings), verdict_moves(ratings)


def verdict_counts(ratings):
    """(rating, count, bar width) for each rating, in scale order."""
    counts = dict(
        Claim.objects.public()
        .order_by()
        .values_list("rating")
        .annotate(total=Count("pk"))
    )
    most = max(counts.values(), default=0) or 1
    return [
        (
            rating,
            counts.get(rating.pk, 0),
            round(counts.get(rating.pk, 0) / most * BAR_WIDTH),
        )
        for rating in ratings
    ]


def verdict_moves(ratings):
    """Per month of the twelve up to the newest public verdict: the verdicts
    made public, stacked by rating (Claim.public_history). Ending at the newest
    verdict rather than today, a desk that paused (or a demo a year old) still
    shows its last year."""
    public = VerdictChange.objects.filter(
        claim__status__in=Claim.PUBLIC_STATUSES, published_at__isnull=False
    )
    newest = public.aggregate(newest=Max("published_at"))["newest"]
    last = timezone.localtime(newest) if newest else timezone.localtime()
    first = month_start(last, months_back=MONTHS - 1)
    rows = list(
        public.filter(published_at__gte=first)
        .annotate(month=TruncMonth("published_at"))
        .order_by()
        .values_list("month", "rating")
        .annotate(total=Count("pk"))
    )
    by_pk = {rating.pk: rating for rating in ratings}
    months = {month_start(first, months_back=-n).date(): [] for n in range(MONTHS)}
    for month, rating_id, total in rows:
        months.setdefault(month.date(), []).append((by_pk[rating_id], total))
    tallest = max((sum(n for _, n in stack) for stack in months.values()), default=0)
    share = 100 / len(months)
    columns = [
        {
            "month": month,
            "x": round(index * share, 2),
            "width": round(share, 2),
            # The year under the first month and under every January.
            "year": index == 0 or month.month == 1,
            "blocks": stack_blocks(stack, tallest),
        }
        for index, (month, stack) in enumerate(sorted(months.items()))
    ]
    shown = {rating_id for _, rating_id, _ in rows}
    return {
        "columns": columns,
        "height": COLUMN_HEIGHT + LABELS_HEIGHT,
        # The colours' key, in scale order: colour alone names no verdict.
        "legend": [rating for rating in ratings if rating.pk in shown],
    }


def stack_blocks(stack, tallest):
    y, blocks = COLUMN_HEIGHT, []
    for rating, total in sorted(stack, key=lambda item: item[0].order):
        height = total / (tallest or 1) * COLUMN_HEIGHT
        y -= height
        blocks.append(
            {
                "rating": rating,
                "total": total,
                "y": round(y, 1),
                "height": round(height, 1),
            }
        )
    return blocks


def month_start(moment, months_back):
    """The first instant of the month `months_back` months before `moment`'s."""
    index = moment.year * 12 + moment.month - 1 - months_back
    return moment.replace(
        year=index // 12,
        month=index % 12 + 1,
        day=1,
        hour=0,
        minute=0,
        second=0,
        microsecond=0,
    )
