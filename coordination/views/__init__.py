"""Pages of dig-once coordination (planners; a provider's members see their own matches).

Anonymous visitors are sent to the login (``login_required``); signed-in users without a role get 404 from the
selectors (nobody learns what exists); an action a reader may see but not do answers 403 from the services.
``roadworks``: the works, their files and owners, the form; ``matches``: the match list, its export, notifying.
"""

from coordination.views.matches import matches, matches_csv, notify
from coordination.views.roadworks import (
    import_detail,
    index,
    owner_create,
    roadworks_delete,
    roadworks_edit,
    roadworks_import,
    roadworks_list,
    roadworks_new,
    works_detail,
)

__all__ = [
    "import_detail",
    "index",
    "matches",
    "matches_csv",
    "notify",
    "owner_create",
    "roadworks_delete",
    "roadworks_edit",
    "roadworks_import",
    "roadworks_list",
    "roadworks_new",
    "works_detail",
]
