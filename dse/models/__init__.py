"""Analytic cycle / area / energy models: pure functions of (params, workload), tested
against the RTL they model."""
