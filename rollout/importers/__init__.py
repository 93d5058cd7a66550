"""Turn a provider's rows into validated plan features, and say precisely what is wrong where.

Input: a RawTable from rollout.readers (numpy columns) and a field mapping (canonical field → the
provider's column). Output: rollout.features.PlanFeatures, the validated features by column (geometry as
hex EWKB in EPSG:25832, coordinates rounded to millimetres, or a list of address ids), which
rollout.pipeline stages and diffs. Every problem goes into the Report with its row, field, value and
what was expected; an error anywhere makes the file invalid.

Clean data is handled by column: each distinct combination of attribute values is checked once, clean
polygons inside the city are checked and serialised over shapely arrays, and such rows never become a
dict. Every row with a problem (or with addresses) takes the per-row path in file order, so the report
is the same as if every row had been checked one by one.

Modules: ``mapping`` (column names), ``validator`` (FeatureValidator, with the mixins ``placement`` for
geometries and ``attributes`` for the values), ``ewkb`` (geometry serialisation), ``grouping`` (rows into
areas).
"""

from rollout.importers.ewkb import ewkt
from rollout.importers.grouping import ATTRIBUTES
from rollout.importers.mapping import CANONICAL_FIELDS, COLUMN_SYNONYMS, resolve_mapping
from rollout.importers.validator import FeatureValidator

__all__ = ["ATTRIBUTES", "CANONICAL_FIELDS", "COLUMN_SYNONYMS", "FeatureValidator", "ewkt", "resolve_mapping"]
