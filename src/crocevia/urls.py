from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from crocevia.accounts import views as accounts_views
from crocevia.assessments import case_urls as assessments_case_urls
from crocevia.cases import urls as cases_urls
from crocevia.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accesso/", accounts_views.SignInView.as_view(), name="login"),
    path("accesso/verifica/", accounts_views.login_verify, name="login_verify"),
    path("esci/", auth_views.LogoutView.as_view(), name="logout"),
    path("utente/", include("crocevia.accounts.urls")),
    path("persone/", include("crocevia.people.urls")),
    path("sportello/", include("crocevia.desk.urls")),
    # The "cases" namespace holds the pages under a case that the apps above cases own
    # (section A, the pre-assessment): cases cannot import them.
    path(
        "casi/",
        include(([*cases_urls.urlpatterns, *assessments_case_urls.urlpatterns], "cases")),
    ),
    path("valutazioni/", include("crocevia.assessments.urls")),
    path("piani/", include("crocevia.plans.urls")),
    path("interventi/", include("crocevia.interventions.urls")),
    path("scambio/", include("crocevia.interchange.urls")),
    path("programmi/", include("crocevia.programmes.urls")),
    path("rete/", include("crocevia.network.urls")),
    path("monitoraggio/", include("crocevia.reporting.urls")),
    path("lingua/", login_not_required(set_language), name="set_language"),
    # Before the admin's own login, which would skip the lockout and the second step.
    path("admin/login/", accounts_views.admin_login),
    path("admin/", admin.site.urls),
]
