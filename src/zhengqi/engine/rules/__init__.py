"""The rule language: a rule is a boolean expression over the feature catalogue."""
