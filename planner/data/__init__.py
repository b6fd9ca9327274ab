"""Region data: region packs, coordinate systems, generated layers, and the import and
checks of official files."""
