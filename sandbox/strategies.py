"""The names of the fetch strategies and how a request says which one it is.

The names are the contract's (``docs/instagram-strategies.md``); they key the door switches
(``login_wall``, ``gone``) and the per-strategy request counts of ``/_sandbox/stats``.
"""

from __future__ import annotations

WEB_PROFILE_INFO = "web_profile_info"
WEB_PROFILE_INFO_IPAD = "web_profile_info_ipad"
GRAPHQL_DOC_ID = "graphql_doc_id"
EMBEDDED_PAGE = "embedded_page"
GRAPHQL_QUERY_HASH = "graphql_query_hash"

STRATEGIES = (
    WEB_PROFILE_INFO,
    WEB_PROFILE_INFO_IPAD,
    GRAPHQL_DOC_ID,
    EMBEDDED_PAGE,
    GRAPHQL_QUERY_HASH,
)

WEB_PROFILE_INFO_STRATEGIES = (WEB_PROFILE_INFO, WEB_PROFILE_INFO_IPAD)

WEB_APP_ID = "936619743392459"
IPAD_APP_ID = "124024574287414"


def profile_info_strategy(app_id: str | None) -> str:
    """Which web_profile_info strategy a request is, by its ``x-ig-app-id`` header: the iPad
    app's id is ``web_profile_info_ipad``; the web app's, any other or none is the web one."""
    return WEB_PROFILE_INFO_IPAD if app_id == IPAD_APP_ID else WEB_PROFILE_INFO


__all__ = [
    "EMBEDDED_PAGE",
    "GRAPHQL_DOC_ID",
    "GRAPHQL_QUERY_HASH",
    "IPAD_APP_ID",
    "STRATEGIES",
    "WEB_APP_ID",
    "WEB_PROFILE_INFO",
    "WEB_PROFILE_INFO_IPAD",
    "WEB_PROFILE_INFO_STRATEGIES",
    "profile_info_strategy",
]
