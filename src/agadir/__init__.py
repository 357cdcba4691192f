"""Agadir: a sovereign AI stack on open-weight models, for Morocco's institutions.

The package is organised by pillar (serve, govern, speak, know, build & measure); see
``docs/`` (the project's design notes live beside the repository) for the map.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
