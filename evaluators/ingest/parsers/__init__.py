"""One module per family of files. Importing a module registers its parsers."""
