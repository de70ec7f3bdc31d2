"""Host side, golden model and stimulus of the bit-serial array."""
