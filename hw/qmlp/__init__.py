"""Quantized-MLP streaming dataflow accelerators (FINN-style MVAUs with PE / SIMD folding)."""
