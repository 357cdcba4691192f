"""The web page served by the gateway: chat (models and knowledge bases) and the admin view.

Static HTML/CSS/ES modules shipped inside the package (no build step, no CDN, no external
font); see docs/web.md.
"""

from agadir.web.assets import AssetBundle, AssetNotFoundError, bundle
from agadir.web.router import router

__all__ = ["AssetBundle", "AssetNotFoundError", "bundle", "router"]
