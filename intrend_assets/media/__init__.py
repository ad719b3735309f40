"""Media archived before their CDN URLs expire: which to fetch, fetching, checking, storing.

Plain Python, no Dagster (``intrend_assets.defs.media`` is the asset). :mod:`.refs` lists a
fetch's media, :mod:`.urls` refuses addresses that are not Instagram's CDN, :mod:`.download`
fetches through the API's egress with its own limits, :mod:`.content` rejects what is not a
whole image, :mod:`.store` keeps them by sha256, :mod:`.archive` runs it all and renews
expired addresses.
"""
