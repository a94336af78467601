from django.urls import path

from . import views

app_name = "claims"

urlpatterns = [
    path("", views.ClaimListView.as_view(), name="claim_list"),
    path("claims/<slug:slug>/", views.ClaimDetailView.as_view(), name="claim_detail"),
]
