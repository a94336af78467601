from django.urls import path

from . import views

app_name = "claims"

urlpatterns = [
    path("", views.ClaimListView.as_view(), name="claim_list"),
    path("claims/<slug:slug>/", views.ClaimDetailView.as_view(), name="claim_detail"),
    path("archive/<int:pk>/", views.capture_detail, name="capture_detail"),
    path("archive/<int:pk>/warc/", views.capture_warc, name="capture_warc"),
    path("archive/<int:pk>/raw/", views.capture_raw, name="capture_raw"),
]
