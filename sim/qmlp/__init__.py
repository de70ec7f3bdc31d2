"""Simulation of qmlp-v1: host-side jobs for the generic stream testbench."""
