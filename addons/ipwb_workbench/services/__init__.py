from . import metadata_rows, overview_tiles
