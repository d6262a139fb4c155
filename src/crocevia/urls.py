from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from crocevia.accounts import views as accounts_views
from crocevia.assessments import case_urls as assessments_case_urls
from crocevia.cases import urls as cases_urls
from crocevia.meetings import urls as meetings_urls
from crocevia.site import views as site_views

urlpatterns = [
    path("", site_views.home, name="home"),
    path("accesso/", accounts_views.SignInView.as_view(), name="login"),
    path("accesso/verifica/", accounts_views.login_verify, name="login_verify"),
    path("esci/", auth_views.LogoutView.as_view(), name="logout"),
    path("utente/", include("crocevia.accounts.urls")),
    path("persone/", include("crocevia.people.urls")),
    path("sportello/", include("crocevia.desk.urls")),
    # The "cases" namespace keeps the paths and names the case's pages had: the meetings
    # and case lists (meetings) and section A, the pre-assessment (assessments), which
    # live in apps above cases, so cases cannot import them.
    path(
        "casi/",
        include(
            (
                [
                    *cases_urls.urlpatterns,
                    *meetings_urls.urlpatterns,
                    *assessments_case_urls.urlpatterns,
                ],
                "cases",
            )
        ),
    ),
    path("valutazioni/", include("crocevia.assessments.urls")),
    path("piani/", include("crocevia.plans.urls")),
    path("interventi/", include("crocevia.interventions.urls")),
    path("sostegno-al-reddito/", include("crocevia.benefits.urls")),
    path("scambio/", include("crocevia.interchange.urls")),
    path("programmi/", include("crocevia.programmes.urls")),
    path("rete/", include("crocevia.network.urls")),
    path("monitoraggio/", include("crocevia.reporting.urls")),
    path("notifiche/", include("crocevia.notifications.urls")),
    path("da-fare/", include("crocevia.site.urls")),
    path("file/", include("crocevia.downloads.urls")),
    path("lingua/", login_not_required(set_language), name="set_language"),
    # Before the admin's own login, which would skip the lockout and the second step.
    path("admin/login/", accounts_views.admin_login),
    path("admin/", admin.site.urls),
]
