"""Platform clients: one module per platform behind one interface (base.PlatformClient)."""

from __future__ import annotations
