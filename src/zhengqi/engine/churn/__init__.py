"""Churn early warning (SPEC F-06): gradient-boosted models on tabular features, validated over
time (or by stratified folds for a table without time), with reasons per scored row."""
