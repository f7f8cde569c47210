"""What the database can hold: the one source of sizes and bounds.

The models declare their columns with these numbers and the validators (pst_data) refuse,
in French, anything beyond them, so that the same input gets the same answer on SQLite (which
stores a 100-character label in a String(80)) and PostgreSQL (which raises a DataError).
Plain constants: no SQLAlchemy here.
"""

from __future__ import annotations

from decimal import Decimal

# The statuses an action may have (a check constraint of the schema).
STATUSES = ("À programmer", "En cours", "Finalisé", "Suspendu", "Abandonné")
# How the chef de projet judges an action is going (beside its taux), as iA.PST does.
HEALTHS = ("Bon", "À surveiller", "En difficulté", "En pause")
HEALTH_MAX = 40
# The meetings a plan is reported to: « depuis le dernier Bureau » counts from them.
MEETING_KINDS = ("bureau", "conseil")
MEETING_NOTE_MAX = 200
# Days without an update after which an open action is « non mise à jour » (per plan).
STALE_DAYS_DEFAULT = 60
STALE_DAYS_MAX = 3650
# Days before the next Bureau when the automatic reminder goes out (per plan).
REMINDER_DAYS_DEFAULT = 7
REMINDER_DAYS_MAX = 90
REMINDER_TEXT_MAX = 5000
# Schedule thresholds (per plan), in % of the taux an action's dates expect today.
SCHEDULE_ON_TRACK_DEFAULT = 95
SCHEDULE_BEHIND_DEFAULT = 85
# Measured indicators: a unit (« personnes », « % », « € »), values within Numeric(16, 4).
INDICATOR_UNIT_MAX = 40
INDICATOR_VALUE_MAX = Decimal("999999999999")
INDICATOR_DECIMALS = 4

CODE_MAX = 40
TITLE_MAX = 500
TEXT_MAX = 20_000  # free text (descriptions, comments, list items): no database limit, a sane one
ORGANISATION_MAX = 200
INS_CODE_MAX = 5
DOCUMENT_MAX = 200
AXIS_MAX = 200
NAME_MAX = 300  # chef de projet, département, service
PRIORITY_MAX = 80
DATE_TEXT_MAX = 120
STATUS_MAX = 40
LABEL_NAME_MAX = 80
LABEL_DESCRIPTION_MAX = 500
AUTHOR_MAX = 120
SNAPSHOT_NAME_MAX = 120
SLUG_MAX = 60

# Numeric(14, 2) and Numeric(8, 2): digits before the decimal point, then 2 decimals.
BUDGET_MAX = Decimal("999999999999.99")
STAFF_FTE_MAX = Decimal("999999.99")
AMOUNT_DECIMALS = 2
# A weight scales an action in the means; far beyond any real use, far from float overflow.
WEIGHT_MAX = Decimal("1000")

# Dates derived from a plan's wording, and plan periods.
YEAR_MIN = 1900
YEAR_MAX = 2200

# Accounts. A login is what people type at « Identifiant » (or what a single sign-on proxy sends).
ROLES = ("lecteur", "chef", "directeur", "admin")
LOGIN_MAX = 64
EMAIL_MAX = 254
PASSWORD_MIN = 10
PASSWORD_MAX = 200  # argon2 hashes any length; a bound keeps a pasted novel from costing CPU
PASSWORD_HASH_MAX = 255
TOKEN_HASH_MAX = 64  # sha256 hex of a session or Bureau-link token
LINK_LABEL_MAX = 120
