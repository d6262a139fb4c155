from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "crocevia.site"
    label = "site"
