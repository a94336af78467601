"""The verdict timeline of a claim, drawn as an SVG band: one segment per
verdict, as long as that verdict stood."""

from dataclasses import dataclass

from django.utils import timezone

WIDTH = 640
HEIGHT = 44
LABEL_MIN_WIDTH = 110  # narrower segments show their label on hover only


@dataclass
class Segment:
    x: float
    width: float
    change: object

    @property
    def labelled(self):
        return self.width >= LABEL_MIN_WIDTH

    @property
    def label_x(self):
        return self.x + 8


def draw(claim):
    """Segments for the claim's verdict history (prefetched), or None."""
    changes = list(claim.verdict_changes.all())
    if not changes:
        return None
    start, end = changes[0].changed_at, timezone.now()
    span = max((end - start).total_seconds(), 1)

    def position(moment):
        return round((moment - start).total_seconds() / span * WIDTH, 1)

    ends = [change.changed_at for change in changes[1:]] + [end]
    segments = [
        Segment(
            x=position(change.changed_at),
            width=max(position(until) - position(change.changed_at), 3),
            change=change,
        )
        for change, until in zip(changes, ends, strict=True)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "segments": segments,
        "start": start,
        "end": end,
    }
