"""The web layer's shared words, below every app: the signed-in request, form and API error
messages, page parsing, pagination. Nothing here knows a domain."""
