"""The filters and the order of a work queue's page (GET), built from its definition."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crocevia.core.forms import StyledFormMixin

from .queues import Queue

ORDER = "ordine"


class QueueForm(StyledFormMixin, forms.Form):
    def __init__(self, queue: Queue, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue = queue
        for queue_filter in queue.filters:
            self.fields[queue_filter.name] = forms.ChoiceField(
                label=queue_filter.label,
                required=False,
                choices=[
                    ("", queue_filter.all_label),
                    *((c.value, c.label) for c in queue_filter.choices),
                ],
            )
        self.fields[ORDER] = forms.ChoiceField(
            label=_("Order"),
            required=False,
            choices=[(o.value, o.label) for o in queue.orderings],
        )

    def chosen(self) -> tuple[dict, str]:
        """(filters: name -> value, order), the defaults for what is invalid."""
        if not self.is_valid():
            return {}, ""
        data = self.cleaned_data
        filters = {f.name: data.get(f.name, "") for f in self.queue.filters}
        return filters, data.get(ORDER) or ""
