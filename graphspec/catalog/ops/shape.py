"""shape ops (ported from keras/src/ops)."""

ENTRIES = []
