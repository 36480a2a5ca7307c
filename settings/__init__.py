"""Settings: every tunable of Vitrine, read from the environment in one place."""
