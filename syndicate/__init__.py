"""syndicate: curated article records in, standards-exact syndication feeds out."""

__version__ = "0.1.0"
