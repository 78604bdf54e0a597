"""The value evaluation model (SPEC F-03): factors, normalisation, weights, tiers."""
