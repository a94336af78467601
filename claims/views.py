import datetime

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import DetailView
from django_filters.views import FilterView

from .filters import ClaimFilter
from .forms import AsOfForm
from .models import Claim, Source, VerdictChange


class ClaimListView(FilterView):
    filterset_class = ClaimFilter
    template_name = "claims/claim_list.html"
    paginate_by = 20
    strict = False

    def get_queryset(self):
        return (
            Claim.objects.public()
            .select_related("claimant", "rating")
            .prefetch_related("topics")
            .order_by("-verdict_at", "-id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filters_in_use"] = any(
            value for key, value in self.request.GET.items() if key not in ("q", "page")
        )
        return context

    def paginate_queryset(self, queryset, page_size):
        """Like Django's, but an absurd page number gives the nearest real page."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()


class ClaimDetailView(DetailView):
    template_name = "claims/claim_detail.html"

    def get_object(self, queryset=None):
        sources = Source.objects.select_related("party").order_by("published_on", "id")
        history = VerdictChange.objects.select_related(
            "previous_rating", "rating", "changed_by"
        )
        claims = (
            Claim.objects.public()
            .select_related("claimant", "rating")
            .prefetch_related(
                "topics",
                Prefetch("sources", queryset=sources),
                Prefetch("verdict_changes", queryset=history),
            )
        )
        return get_object_or_404(claims, slug=self.kwargs["slug"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = AsOfForm(self.request.GET if "as_of" in self.request.GET else None)
        context["as_of_form"] = form
        if form.is_valid():
            day = form.cleaned_data["as_of"]
            end_of_day = datetime.datetime.combine(day, datetime.time.max)
            moment = timezone.make_aware(end_of_day)
            context["as_of"] = day
            context["rating_as_of"] = self.object.rating_as_of(moment)
        return context
