from django.urls import path

from members.climate import views

urlpatterns = [
    path("staff/climate/import/", views.climate_import, name="climate-import"),
    path("staff/climate/map-columns/", views.column_mapping, name="climate-map-columns"),
    path("staff/climate/discrepancies/", views.discrepancy_list, name="climate-discrepancies"),
    path(
        "staff/climate/discrepancies/<int:pk>/resolve/",
        views.discrepancy_resolve,
        name="climate-discrepancy-resolve",
    ),
]
