from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "crocevia.demo"
    label = "demo"
