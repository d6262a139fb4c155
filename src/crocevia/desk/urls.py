from django.urls import path

from . import referral_views, views

app_name = "desk"
urlpatterns = [
    path("registro/", views.register, name="register"),
    path("persone/<int:person_pk>/accessi/", views.person_contacts, name="contacts"),
    path("persone/<int:person_pk>/accessi/nuovo/", views.contact_create, name="contact_create"),
    path("accessi/<int:pk>/modifica/", views.contact_edit, name="contact_edit"),
    path(
        "persone/<int:person_pk>/invii/nuovo/",
        referral_views.referral_create,
        name="referral_create",
    ),
    path("invii/", referral_views.referral_inbox, name="referral_inbox"),
    path("invii/inviati/", referral_views.referral_sent_list, name="referral_sent"),
    path("invii/<int:pk>/", referral_views.referral_detail, name="referral_detail"),
    path(
        "invii/<int:pk>/risposta/",
        referral_views.referral_answer_view,
        name="referral_answer",
    ),
    path(
        "invii/<int:pk>/chiusura/",
        referral_views.referral_complete_view,
        name="referral_complete",
    ),
    path(
        "invii/<int:pk>/ritiro/",
        referral_views.referral_withdraw_view,
        name="referral_withdraw",
    ),
]
