"""Loading: a model from a run directory, a `.keras` file, a preset folder or a catalogue name."""
