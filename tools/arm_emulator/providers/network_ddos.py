"""Microsoft.Network DDoS protection plans (placeholder, filled below)."""
TYPES = []
