from django.urls import path

from indicators import views

app_name = "indicators"
urlpatterns = [
    path("<int:year>/", views.period_detail, name="period-detail"),
]
