"""v1 writes. Each calls the core services; nothing here re-implements a seed rule."""
