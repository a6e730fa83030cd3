"""reduction ops (ported from keras/src/ops)."""

ENTRIES = []
