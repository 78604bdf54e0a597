"""What changes to a customer's records tell the apps above customers, without importing them (they
connect here; the portal wires them at start-up, see ``zhengqi.portal.apps``)."""

from django.dispatch import Signal

# Sent inside the renewal's transaction with ``contract`` (the renewal), ``replaced`` (the agreement
# it replaces) and ``by`` (the user): the alerts about the expiring agreement and their tasks close.
contract_renewed = Signal()
