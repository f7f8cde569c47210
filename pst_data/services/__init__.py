"""The write services (a package from now on: ``actions`` holds them all for the moment)."""

from pst_data.services.actions import *  # noqa: F401,F403
from pst_data.services.actions import (  # noqa: F401 (read through pst_data.services by the pages and tests)
    COMMENT_MAX,
    LABEL_DESCRIPTION_MAX,
    LABEL_NAME_MAX,
    NOT_UNDONE_HERE,
    Operator,
    __all__,
    action_values,
)
