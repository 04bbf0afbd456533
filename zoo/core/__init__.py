"""The floor: what a family in `models/` may use (errors, registry, losses, latents, replicas)."""
