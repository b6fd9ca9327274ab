"""Reading planners' files into validated layers.

A planner can replace any layer of a city with the files their bureau holds, or set a
city up from uploads alone. This package reads those files (GeoJSON, GeoPackage, zipped
Shapefile, KML, CSV/XLSX with coordinates, CSV/XLSX attribute tables), recognises the
usual Chinese and English column names, converts coordinates to WGS84 and runs the
checks of :mod:`planner.data.checks`.

Contract
--------
* :func:`import_layer` and :func:`import_population` never raise for bad input: every
  problem, including library errors, ends up in the :class:`ImportResult` report, with
  the original error text kept as "details".
* They are pure: inputs (sources, parent layers, the layer to update) are not modified;
  a failed import returns ``data=None`` and so changes nothing already loaded.
* Codes are strings; a layer's geometry is in EPSG:4326.
* Resources are bounded (:mod:`planner.limits`): a file over the upload size, an
  archive that unpacks too large, is packed too tightly (a zip bomb) or holds too many
  files, and a table or layer of too many rows are refused (``limit.exceeded``, naming
  the variable that raises the limit) before they are parsed in full or extracted.
* Numbers are read strictly (:func:`planner.data.checks.parse_numbers`): ambiguous
  separators and scientific notation are refused, fractions rounded with a warning;
  control characters in text are removed with a warning naming the rows.

The lower-level readers :func:`read_vector` and :func:`read_table` raise
:class:`~planner.i18n.PlannerError` (with an ``io.*`` key) for files they cannot read.

Modules
-------
Sources and readers: :mod:`~planner.data.io.sources` (formats, sizes, the reader
set-up), :mod:`~planner.data.io.encodings`, :mod:`~planner.data.io.tables` (CSV, XLSX),
:mod:`~planner.data.io.points` (coordinates in tables), :mod:`~planner.data.io.ogr`
(GDAL), :mod:`~planner.data.io.shapefiles`, :mod:`~planner.data.io.archives` (zip),
:mod:`~planner.data.io.vectors` (:func:`read_vector`). Layers:
:mod:`~planner.data.io.systems` (coordinate systems), :mod:`~planner.data.io.attributes`,
:mod:`~planner.data.io.layers` (:func:`import_layer`),
:mod:`~planner.data.io.population` (:func:`import_population`) and
:mod:`~planner.data.io.result` (:class:`ImportResult`).
"""

from planner.data.io.layers import import_layer
from planner.data.io.population import import_population
from planner.data.io.result import ImportResult
from planner.data.io.sources import TABLE_FORMATS, VECTOR_FORMATS, check_file_size
from planner.data.io.tables import read_table
from planner.data.io.vectors import list_layers, read_vector

__all__ = [
    "TABLE_FORMATS",
    "VECTOR_FORMATS",
    "ImportResult",
    "check_file_size",
    "import_layer",
    "import_population",
    "list_layers",
    "read_table",
    "read_vector",
]
