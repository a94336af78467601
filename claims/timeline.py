"""The verdict timeline of a claim, drawn as an SVG band: one segment per
verdict, as long as that verdict stood.

Positions are percentages of the band's width, so that the band spans its
column at any screen width while its labels keep their size (a scaled
drawing shrank them to 7 pixels on a phone). Each segment is a nested <svg>,
which clips its label at the segment's end.
"""

from dataclasses import dataclass

from django.utils import timezone

HEIGHT = 44
MIN_WIDTH = 0.5  # per cent: a verdict that stood for minutes is still seen
LABEL_MIN_WIDTH = 17  # per cent; narrower segments show their label on hover


@dataclass
class Segment:
    x: float
    width: float
    change: object

    @property
    def labelled(self):
        return self.width >= LABEL_MIN_WIDTH


def draw(claim):
    """Segments for the claim's public verdict history (prefetched), each from
    the moment the public saw it, or None."""
    changes = claim.public_history()
    if not changes:
        return None
    start, end = changes[0].published_at, timezone.now()
    span = max((end - start).total_seconds(), 1)

    def position(moment):
        return round((moment - start).total_seconds() / span * 100, 2)

    ends = [change.published_at for change in changes[1:]] + [end]
    segments = [
        Segment(
            x=position(change.published_at),
            width=max(position(until) - position(change.published_at), MIN_WIDTH),
            change=change,
        )
        for change, until in zip(changes, ends, strict=True)
    ]
    return {
        "height": HEIGHT,
        "segments": segments,
        "start": start,
        "end": end,
    }
