from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

EXACT_BELOW = 10_000


class EstimatedCountPaginator(Paginator):
    """For admin lists of tables with millions of rows: an unfiltered list is
    counted from PostgreSQL's statistics instead of COUNT(*), which reads the
    whole table. Small tables and filtered lists are counted exactly."""

    @cached_property
    def count(self):
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql" or queryset.query.where:
            return super().count
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
        estimate = row[0] if row else -1
        return estimate if estimate >= EXACT_BELOW else super().count


class SearchPaginator(Paginator):
    """Pages of search results, counted exactly (the API's). With `many`
    matches or more, a page is fetched in two queries: the page's ids, in the
    results' order, then those rows with everything the list shows of them.
    In one query PostgreSQL joins the claimant and the verdict to every match
    and sorts thousands of wide rows to keep a page of them
    (docs/benchmarks.md); with fewer matches the second query costs more than
    it saves."""

    many = 1000

    def _get_page(self, object_list, *args, **kwargs):
        if self.count >= self.many:
            ids = list(object_list.values_list("pk", flat=True))
            object_list = self.object_list.filter(pk__in=ids)
        return super()._get_page(object_list, *args, **kwargs)


class CappedPaginator(Paginator):
    """Pages of search results, counted up to `cap`: a search that matches half
    the archive needs no exact count to show its first pages ("More than
    1,000 claims"), and no page past the cap exists. So one query fetches the
    ids of the first `cap` + 1 results, in their order, which gives both the
    count and every page's ids; a page then fetches its rows by id. Counting
    in a query of its own cost more (docs/benchmarks.md)."""

    cap = 1000

    @cached_property
    def ranked_ids(self):
        return list(self.object_list.values_list("pk", flat=True)[: self.cap + 1])

    @property
    def count(self):
        return min(len(self.ranked_ids), self.cap)

    @property
    def capped(self):
        return len(self.ranked_ids) > self.cap

    def page(self, number):
        page = super().page(number)  # its slice of object_list is never run
        ids = self.ranked_ids[page.start_index() - 1 : page.end_index()]
        page.object_list = self.object_list.filter(pk__in=ids)
        return page


class RememberedCountPaginator(Paginator):
    """For the unfiltered public list: its count changes only when claims do,
    so it is counted once per version of the public pages rather than on
    every page view (COUNT(*) reads every public claim)."""

    def __init__(self, *args, remember_as, **kwargs):
        super().__init__(*args, **kwargs)
        self.remember_as = remember_as

    @cached_property
    def count(self):
        from .caching import remembered

        return remembered(self.remember_as, self.object_list.count)
