"""Quantized neural networks: datasets, training (Brevitas), export to integer networks."""
