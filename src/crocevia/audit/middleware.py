from .recording import collecting, shows_something


class AccessEventsMiddleware:
    """Writes the access events the access functions recorded during the request, in one
    insert, when the answer shows something; nothing for a refusal, an error or a
    redirect (crocevia.audit.recording).

    Written before the response leaves: if the trail cannot be written, the page is not
    shown (the error propagates as a server error).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with collecting() as events:
            response = self.get_response(request)
            if shows_something(response.status_code):
                events.write()
        return response
